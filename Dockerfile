FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY switchboard ./switchboard
COPY bots ./bots
COPY graph ./graph
COPY tools ./tools
COPY storage ./storage
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["switchboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
