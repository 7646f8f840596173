FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY src ./src
RUN pip install --no-cache-dir -c constraints.txt .
RUN useradd --create-home sansan
USER sansan
ENV SANSAN_DATABASE_URL=sqlite:////home/sansan/sansan.db
EXPOSE 8000
CMD ["sansan", "serve", "--host", "0.0.0.0", "--demo"]
