#!/usr/bin/env bash
# Builds the Plateaux image with Debian's podman on a machine that reaches no image registry
# (only a Debian mirror and crates.io), then tries it: health, readiness, a demo login and a
# booking through curl, the user it runs as, and the image's HEALTHCHECK.
#
#   sudo deploy/podman-local.sh            # from anywhere in the repository
#
# Run as root (podman with the vfs storage driver, debootstrap). Idempotent: the base images
# are made once and kept; the image is built again (podman's layer cache makes that quick when
# nothing changed); the trial container and its volume are made anew at each run and removed
# at the end. Settings, all optional:
#   PLATEAUX_PODMAN_WORK  working directory (root file system, build base context)
#                         [/var/tmp/plateaux-podman]
#   DEBIAN_MIRROR         Debian mirror for debootstrap [the first one of apt's sources]
#   PLATEAUX_IMAGE        tag of the image built [localhost/plateaux:0.1.0]
#   PLATEAUX_TRY_PORT     port of the trial container (host network) [18080]
#   PLATEAUX_KEEP_TRIAL   1 to leave the trial container running at the end
set -euo pipefail

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=${PLATEAUX_PODMAN_WORK:-/var/tmp/plateaux-podman}
image=${PLATEAUX_IMAGE:-localhost/plateaux:0.1.0}
port=${PLATEAUX_TRY_PORT:-18080}
base_image=localhost/debian:bookworm-minbase
trial=plateaux-trial
trial_volume=plateaux-trial-data

step() { printf '\n==> %s\n' "$*"; }
run() {
    printf '+ %s\n' "$*"
    "$@"
}
fail() {
    printf 'podman-local: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (podman with vfs storage, debootstrap)"
mkdir -p "$work"

step "Debian packages: podman, runc, debootstrap"
missing=()
for tool in podman runc debootstrap jq curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    run apt-get install -y --no-install-recommends "${missing[@]}" uidmap
else
    echo "already installed: $(podman --version), $(runc --version | head -n 1)"
fi

# A Debian mirror apt already reaches: the URIs line of a deb822 source, or a one-line source.
if [ -z "${DEBIAN_MIRROR:-}" ]; then
    DEBIAN_MIRROR=$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } |
        sed -nE 's#^URIs:[[:space:]]*(https?://[^[:space:]]+/debian)/?[[:space:]]*$#\1#p;
                 s#^deb[[:space:]]+(https?://[^[:space:]]+/debian)/?[[:space:]].*$#\1#p' |
        sed -n 1p)
    DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fi

p=(podman --storage-driver=vfs --runtime runc)

step "Runtime base $base_image: debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR"
if "${p[@]}" image exists "$base_image"; then
    echo "already there"
else
    rm -rf "$work/rootfs"
    run debootstrap --variant=minbase bookworm "$work/rootfs" "$DEBIAN_MIRROR"
    # The downloaded packages and apt's caches are no part of a base image.
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/cache/apt/*.bin \
        "$work"/rootfs/var/lib/apt/lists/*
    printf '+ tar -C %s -c . | podman import - %s\n' "$work/rootfs" "$base_image"
    tar -C "$work/rootfs" -c . | "${p[@]}" import - "$base_image" >/dev/null
    rm -rf "$work/rootfs"
fi

# Containers are started through runc. Some sandboxes refuse setrlimit, even to the current
# values, so that runc fails on the rlimits podman always writes; there, a wrapper removes
# them from the container's configuration (and from an exec's process) before calling runc.
step "Container runtime: can runc start a container here?"
if probe=$("${p[@]}" run --rm --network host "$base_image" true 2>&1); then
    echo "yes, runc as it is"
    runtime=runc
elif grep -q 'setting rlimit' <<<"$probe"; then
    echo "$probe" | tail -n 1
    runtime=$work/runc-without-rlimits
    echo "runc cannot set the rlimits here: using $runtime"
    cat >"$runtime" <<'EOF'
#!/bin/sh
# runc without the container's rlimits (this machine refuses setrlimit).
bundle=. process= previous=
for arg in "$@"; do
    case $previous in
        --bundle | -b) bundle=$arg ;;
        --process | -p) process=$arg ;;
    esac
    case $arg in
        --bundle=*) bundle=${arg#--bundle=} ;;
        --process=*) process=${arg#--process=} ;;
    esac
    previous=$arg
done
strip() {
    [ -f "$1" ] || return 0
    jq "$2" "$1" >"$1.without-rlimits" && mv "$1.without-rlimits" "$1"
}
case " $* " in
    *" create "* | *" run "*) strip "$bundle/config.json" 'del(.process.rlimits)' ;;
esac
[ -n "$process" ] && strip "$process" 'del(.rlimits)'
exec runc "$@"
EOF
    chmod 755 "$runtime"
    podman --storage-driver=vfs --runtime "$runtime" run --rm --network host "$base_image" true ||
        fail "the container still does not start through $runtime"
else
    printf '%s\n' "$probe" >&2
    fail "podman cannot run a container here (see above)"
fi
p=(podman --storage-driver=vfs --runtime "$runtime")

# The build base stands for rust:<version>-slim-bookworm: the same Debian with gcc and the
# machine's own Rust toolchain copied in, since no rustup download is possible.
rustc=${RUSTC:-$(command -v rustc || echo "$HOME/.cargo/bin/rustc")}
sysroot=$("$rustc" --print sysroot) || fail "no Rust toolchain here (set RUSTC)"
rust_version=$("$sysroot/bin/rustc" --version | cut -d' ' -f2)
rust_image=localhost/rust:$rust_version-bookworm-local
step "Build base $rust_image: $base_image, gcc and the Rust toolchain of $sysroot"
if "${p[@]}" image exists "$rust_image"; then
    echo "already there"
else
    ctx=$work/rust-context
    rm -rf "$ctx"
    mkdir -p "$ctx/rust"
    # bin, lib, libexec and etc make the toolchain; share is its documentation.
    run cp -a "$sysroot/bin" "$sysroot/lib" "$sysroot/libexec" "$sysroot/etc" "$ctx/rust/"
    # The certificate authorities this machine adds to Debian's (a TLS-inspecting network
    # has one): cargo in the build must trust what curl here trusts to reach crates.io.
    mkdir -p "$ctx/ca"
    cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
    cat >"$ctx/Containerfile" <<EOF
FROM $base_image
RUN apt-get update \\
 && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY rust/ /usr/local/
EOF
    run "${p[@]}" build --isolation chroot --network host -t "$rust_image" "$ctx"
    rm -rf "$ctx"
fi

# --format docker: podman's default OCI format has no HEALTHCHECK and would drop it.
step "The image $image from deploy/Dockerfile"
started=$(date +%s)
run "${p[@]}" build --format docker --isolation chroot --network host \
    --build-arg RUST_IMAGE="$rust_image" \
    --build-arg RUNTIME_IMAGE="$base_image" \
    -f "$repo/deploy/Dockerfile" -t "$image" "$repo"
build_seconds=$(($(date +%s) - started))
size=$("${p[@]}" image inspect --format '{{.Size}}' "$image")
base_size=$("${p[@]}" image inspect --format '{{.Size}}' "$base_image")
echo "built in ${build_seconds} s; $((size / 1000000)) MB, of which $((base_size / 1000000)) MB base"

step "Trial: $trial on SQLite in volume $trial_volume, port $port (host network), demo campus"
"${p[@]}" rm -f -t 0 "$trial" >/dev/null 2>&1 || true
"${p[@]}" volume rm -f "$trial_volume" >/dev/null 2>&1 || true
run "${p[@]}" run -d --name "$trial" --network host \
    -e PLATEAUX_BIND="127.0.0.1:$port" \
    -v "$trial_volume:/var/lib/plateaux" \
    "$image" serve --demo
cleanup() {
    if [ "${PLATEAUX_KEEP_TRIAL:-0}" != 1 ]; then
        "${p[@]}" rm -f -t 10 "$trial" >/dev/null 2>&1 || true
        "${p[@]}" volume rm -f "$trial_volume" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

url=http://127.0.0.1:$port
for _ in $(seq 1 60); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    "${p[@]}" container inspect --format '{{.State.Running}}' "$trial" | grep -q true ||
        { "${p[@]}" logs "$trial" | tail -n 20; fail "the trial container stopped"; }
    sleep 1
done
check() { # name, expected HTTP status, curl arguments...
    local name=$1 expected=$2 status
    shift 2
    status=$(curl -sS -o "$work/answer.json" -w '%{http_code}' "$@")
    printf '%-44s %s\n' "$name" "$status"
    [ "$status" = "$expected" ] || { cat "$work/answer.json" >&2; fail "$name: expected $expected"; }
}
check "GET /healthz" 200 "$url/healthz"
check "GET /readyz" 200 "$url/readyz"

api=$url/api/v1
check "POST /api/v1/auth/login (demo teacher)" 200 -X POST "$api/auth/login" \
    -H 'Content-Type: application/json' \
    -d '{"email":"enseignant.soudage@demo.plateaux.test","password":"demo-soudage-2027"}'
token=$(jq -r .access_token "$work/answer.json")
check "GET /api/v1/platforms?domain=welding" 200 "$api/platforms?domain=welding&limit=1" \
    -H "Authorization: Bearer $token"
platform=$(jq -r '.items[0].id' "$work/answer.json")
# A Tuesday morning four weeks ahead, in the campus's time zone.
day=$(date -d "next tuesday + 28 days" +%F)
starts=$(TZ=Europe/Paris date -d "$day 09:00" +%FT%T%:z)
ends=$(TZ=Europe/Paris date -d "$day 11:00" +%FT%T%:z)
check "POST /api/v1/bookings ($starts)" 201 -X POST "$api/bookings" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"platform_id\":\"$platform\",\"stations\":2,\"starts_at\":\"$starts\",\"ends_at\":\"$ends\",\"group_label\":\"BTS CPRP 1\"}"
echo "booking $(jq -r '.id + " " + .status' "$work/answer.json")"

step "The process's user and the image's HEALTHCHECK"
run "${p[@]}" top "$trial" user group args
uid=$("${p[@]}" exec "$trial" id -u)
echo "id -u in the container: $uid"
[ "$uid" != 0 ] || fail "the service runs as root"
echo "HEALTHCHECK: $("${p[@]}" image inspect --format '{{.Config.Healthcheck.Test}}' "$image")"
run "${p[@]}" healthcheck run "$trial"
echo "health: $("${p[@]}" container inspect --format '{{.State.Health.Status}}' "$trial")"

step "Done in ${SECONDS} s"
"${p[@]}" images --filter reference=localhost/ --format '{{.Repository}}:{{.Tag}} {{.Size}}'
echo "image $image built in ${build_seconds} s, $((size / 1000000)) MB"
