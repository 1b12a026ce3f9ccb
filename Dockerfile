# Chorus in a container: the web pages are built with Node, the server with Rust, and the
# result runs on a slim Debian as an unprivileged user with its data in /data.
#
#   docker build -t chorus .
#   docker run -p 8080:8080 -v chorus-data:/data -e CHORUS_PUBLIC_URL=https://chorus.example.org chorus

FROM node:20-bookworm AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build -- --outDir /web-dist --emptyOutDir

FROM rust:1-bookworm AS server
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY web/package.json web/package-lock.json ./web/
COPY --from=web /web-dist /web-dist
ENV CHORUS_WEB_PREBUILT=/web-dist
RUN cargo build --release --locked --bin chorus

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /data --shell /usr/sbin/nologin chorus \
    && mkdir -p /data && chown chorus:chorus /data
COPY --from=server /src/target/release/chorus /usr/local/bin/chorus
USER chorus
VOLUME /data
ENV CHORUS_BIND=0.0.0.0:8080 \
    CHORUS_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["chorus"]
CMD ["serve"]
