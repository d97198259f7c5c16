# danq-sweep images, one Dockerfile, three targets (build from the repository root):
#   docker build -f infra/docker/worker.Dockerfile --target app -t danq-sweep:0.1.0 .       # API, orchestration, wasm training
#   docker build -f infra/docker/worker.Dockerfile --target cpu -t danq-sweep:0.1.0-cpu .   # + @tensorflow/tfjs-node
#   docker build -f infra/docker/worker.Dockerfile --target gpu -t danq-sweep:0.1.0-gpu .   # + @tensorflow/tfjs-node-gpu on CUDA 12
# The native backends are provisioned by `npm run setup:native` (infra/native): the TensorFlow C API
# from the pinned PyPI wheel, and for --gpu the CUDA 12 / cuDNN libraries from the nvidia-*-cu12 wheels
# (tfjs-node's own install script downloads from a host that is often unreachable, so it never runs).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

FROM ${NODE_IMAGE} AS source
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall patches postgres.js (infra/patches/postgres-next-write.ts).
COPY infra/patches ./infra/patches
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY workflows ./workflows
COPY schema ./schema
COPY examples ./examples
COPY infra ./infra
COPY tsconfig.json ./

# Build tools for the native addon (node-gyp) and pip for the TensorFlow wheel: build stages only.
FROM source AS native-tools
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip g++ make && rm -rf /var/lib/apt/lists/*

FROM native-tools AS cpu-build
RUN npm install --no-save --ignore-scripts --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 && npm run setup:native -- --cpu

FROM native-tools AS gpu-build
RUN npm install --no-save --ignore-scripts --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 && npm run setup:native -- --gpu

# `sweep serve`, `sweep worker --queue orchestration`, and training on the wasm backend.
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY --from=source /app /app
ENV NODE_ENV=production SWEEP_HOME=/var/lib/sweep
RUN mkdir -p /var/lib/sweep && chown node:node /var/lib/sweep
USER node
ENTRYPOINT ["node", "/app/bin/sweep.js"]
CMD ["worker", "--queue", "orchestration"]

FROM app AS cpu
COPY --from=cpu-build /app /app
ENV TF_CPP_MIN_LOG_LEVEL=2
CMD ["worker", "--queue", "train", "--backend", "tfjs-node"]

# The official CUDA runtime base; Node comes from the Node image (same glibc family, newer here).
FROM ${CUDA_IMAGE} AS gpu
COPY --from=source /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=gpu-build /app /app
ENV NODE_ENV=production SWEEP_HOME=/var/lib/sweep TF_CPP_MIN_LOG_LEVEL=2
RUN useradd --create-home --uid 1001 sweep && mkdir -p /var/lib/sweep && chown sweep:sweep /var/lib/sweep
USER sweep
ENTRYPOINT ["node", "/app/bin/sweep.js"]
# One training slot per GPU: run one container per GPU (see infra/compose, infra/k8s).
CMD ["worker", "--queue", "train", "--backend", "tfjs-node-gpu", "--concurrency", "1"]
