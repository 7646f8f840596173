// Started from a file, not inline, so the page runs under a policy without 'unsafe-inline' scripts.
Redoc.init("/openapi.json", {}, document.getElementById("redoc"));
