"""The web UI's Chinese labels are the domain vocabulary's, regenerated whenever it changes."""

import runpy
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "web_labels.py"


def test_the_shipped_labels_match_the_domain_vocabulary() -> None:
    script = runpy.run_path(str(SCRIPT))
    shipped = script["TARGET"].read_text(encoding="utf-8")
    assert shipped == script["labels_js"](), "run python scripts/web_labels.py"
    assert '"supervision_overdue": "督办红灯"' in shipped
    assert '"general_branch": "社区党总支"' in shipped
