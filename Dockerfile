# The app image: Node 20 for the api and web build, Python 3.11 for the sidecar.
# In docker-compose.yml it is the `api` service (api + web app) and talks to the GPU sidecar of
# inference/Dockerfile (INFERENCE_URL=inference:50051); run alone, it spawns the inflate sidecar.
FROM node:20-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN python3 -m venv inference/.venv \
 && inference/.venv/bin/pip install --no-cache-dir -e 'inference[dev]' \
 && node node_modules/typescript/bin/tsc -p api/tsconfig.build.json \
 && NG_CLI_ANALYTICS=false node node_modules/@angular/cli/bin/ng.js build
EXPOSE 8000
CMD ["node", "scripts/start.mjs"]
