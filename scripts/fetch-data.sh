#!/usr/bin/env bash
# Fetch the paper's full data from the FRCnet repository (github.com/CIA-CCTB/FRCnet,
# MIT licence) at a pinned commit into data/frcnet/ (ignored by git), and verify
# every file against its sha256 sum:
#
#   data/frcnet/train/spotNN_sub.png, spotNN_full.png   the 8 training pairs (~2000² px)
#   data/frcnet/fc.npy, loss02.npy, loss05.npy           the data of the paper's Figure 2
#
# Usage:
#   scripts/fetch-data.sh                 download what is missing or damaged
#   scripts/fetch-data.sh --from DIR      copy from a local folder laid out like FRCnet's
#                                         data/ (DIR/train/*.png, DIR/*.npy), e.g. an
#                                         unpacked download or ../shared/data/frcnet
#   scripts/fetch-data.sh --check         only verify what is there (exit 1 if incomplete)
# Options:
#   --dest DIR      where to put the files (default: data/frcnet in the repository)
#   --commit SHA    another FRCnet commit (the checksums still have to match)
#   --force         fetch again even when a file is present and correct
# Environment: FRCNET_REPO_URL, FRCNET_RAW_URL to use a mirror.
#
# Downloads use curl (or wget) from raw.githubusercontent.com; if neither works,
# git (a sparse, blob-filtered clone of the one commit). Nothing is left half
# written: each file goes to a temporary name and is renamed once its sum matches.
# Scripts then find the data in data/ (see stdlib/data.rhai; also $LOCUS_DATA).
set -euo pipefail

REPO_URL=${FRCNET_REPO_URL:-https://github.com/CIA-CCTB/FRCnet}
RAW_URL=${FRCNET_RAW_URL:-https://raw.githubusercontent.com/CIA-CCTB/FRCnet}
# The newest commit of the FRCnet repository known when this script was written
# (README with the published citation); the data files are unchanged since
# 16c45fc (train/*.png) and e61e61b (*.npy).
COMMIT=8c83c83a0c5e77d1ed3a6777af32a5cf1a8e4ffb

# path inside FRCnet's data/ and its sha256
FILES=(
  fc.npy                 bc9a52eb3a0698d7a586e568cdd59dfcda5ca5f63a157d2c24ea1711d5bf82f9
  loss02.npy             0117cbfcc90000fbdda1c2ff3a6a67479acad4e9b4240562284d22761caa2a40
  loss05.npy             695a6002ba3eaada907740f762745e25280dbd3dc43ded073bf83c8e928394a5
  train/spot01_full.png  f9714e289ef4ba84ace5719f6468c44e4cd0247774a093d3e711bab3e93c33ef
  train/spot01_sub.png   d4855a12cf77515fc41ac03206b16af759b17fce0a97f38d1acb4abac2c70992
  train/spot04_full.png  e2b2a7aee0dc5a643ba6d3f2d0557c7c14d325887af3b462b53abf0e89120124
  train/spot04_sub.png   baf13547c24ba22ad6907ddc7cb8fa21fc7f178e5e2bc37442a30c4e94ce23cf
  train/spot06_full.png  4021137eb81d9c4a54c4077e3caa0ba05f2246ff62ecfe847bdc983828bb197a
  train/spot06_sub.png   87e3293a98f2321718314499aff30a2afcdfeecf2aff15523d6c9f727728ab64
  train/spot07_full.png  c53b007235cf462f7b2729d92a71f36ed10e2f0b69465e69936cb00dbc591afc
  train/spot07_sub.png   ab35a3d630a09359587572c0c69e66bb7ac43dbe0b77d0e6dddd5a76175bf9c5
  train/spot09_full.png  a544c36755ec400c60611d8e00f5aafde1c1db2e9d46755a0aa8d0fd753b3051
  train/spot09_sub.png   c34e1b171a1834e285b3f3778df05595f3c0d8e8ed51b72ad3eba94314004c77
  train/spot10_full.png  0d54471e9c859a122f93cbf695fece94d81cab38e2b9865f74f9aa4a48ac9897
  train/spot10_sub.png   774c5cd041835c1ab166963baef586e3b3da6a0aabdb31091f2a9288ad410ea6
  train/spot11_full.png  e23cbcafb08c48e0d294f87505c49f46827ef3edb8b6c49b377b52dd5e7a50de
  train/spot11_sub.png   efb328e6d1ebad11868717c05b6813da1ea707806bb219e2463a3077009fb757
  train/spot12_full.png  42616b735026a0c45ab37359c59dcb20a04191ee4fe2a2aa8858103c605a57ea
  train/spot12_sub.png   9b87b65d1a0bb6f68e1d7fc78493eafec8c831b4329b839377b31ad5a9be13bd
)

die() { echo "fetch-data: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/data/frcnet"
FROM=""
CHECK=0
FORCE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs a folder"; FROM=$2; shift ;;
    --from=*) FROM=${1#--from=} ;;
    --dest) [[ $# -ge 2 ]] || die "--dest needs a folder"; DEST=$2; shift ;;
    --dest=*) DEST=${1#--dest=} ;;
    --commit) [[ $# -ge 2 ]] || die "--commit needs a commit id"; COMMIT=$2; shift ;;
    --commit=*) COMMIT=${1#--commit=} ;;
    --check) CHECK=1 ;;
    --force) FORCE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see $0 --help)" ;;
  esac
  shift
done
[[ -z "$FROM" || -d "$FROM" ]] || die "--from: '$FROM' is not a folder"

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed; cannot verify the files"
fi

# ok FILE SUM: the file exists and has that sum.
ok() { [[ -f "$1" ]] && [[ "$(sha256 "$1")" == "$2" ]]; }

# What is missing or wrong.
TODO=()
for ((i = 0; i < ${#FILES[@]}; i += 2)); do
  rel=${FILES[i]}; sum=${FILES[i+1]}
  if [[ $FORCE == 1 ]] || ! ok "$DEST/$rel" "$sum"; then
    TODO+=("$rel" "$sum")
  fi
done
n_all=$((${#FILES[@]} / 2))
n_todo=$((${#TODO[@]} / 2))

if [[ $CHECK == 1 ]]; then
  if [[ $n_todo == 0 ]]; then
    echo "fetch-data: all $n_all files in $DEST are present and correct"
    exit 0
  fi
  for ((i = 0; i < ${#TODO[@]}; i += 2)); do
    if [[ -f "$DEST/${TODO[i]}" ]]; then echo "wrong checksum: $DEST/${TODO[i]}"; else echo "missing: $DEST/${TODO[i]}"; fi
  done
  echo "fetch-data: $n_todo of $n_all files missing or damaged; run scripts/fetch-data.sh" >&2
  exit 1
fi
if [[ $n_todo == 0 ]]; then
  echo "fetch-data: all $n_all files in $DEST are present and correct (--force to fetch again)"
  exit 0
fi

mkdir -p "$DEST/train"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/locus-fetch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# install REL SUM SRC: verify SRC and move it to DEST/REL (via a temporary name there).
install_file() {
  local rel=$1 sum=$2 src=$3 got
  got=$(sha256 "$src")
  if [[ "$got" != "$sum" ]]; then
    echo "fetch-data: checksum mismatch for $rel: expected $sum, got $got" >&2
    if head -c 200 "$src" | grep -q "git-lfs"; then
      echo "fetch-data: (the file is a Git LFS pointer, not the data)" >&2
    fi
    return 1
  fi
  local tmp="$DEST/$rel.part-$$"
  cp "$src" "$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$DEST/$rel"
  echo "  ok  $rel"
}

failed=0
if [[ -n "$FROM" ]]; then
  echo "fetch-data: copying $n_todo file(s) from $FROM to $DEST"
  for ((i = 0; i < ${#TODO[@]}; i += 2)); do
    rel=${TODO[i]}; sum=${TODO[i+1]}
    if [[ ! -f "$FROM/$rel" ]]; then
      echo "fetch-data: $FROM/$rel is missing" >&2; failed=$((failed + 1)); continue
    fi
    install_file "$rel" "$sum" "$FROM/$rel" || failed=$((failed + 1))
  done
else
  echo "fetch-data: downloading $n_todo file(s) from $REPO_URL at commit $COMMIT to $DEST"
  fetch_url() { # URL OUT
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL --retry 2 --retry-delay 2 --connect-timeout 20 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
      wget -q --tries=2 --timeout=20 -O "$2" "$1"
    else
      return 127
    fi
  }
  pending=()
  offline=0
  for ((i = 0; i < ${#TODO[@]}; i += 2)); do
    rel=${TODO[i]}; sum=${TODO[i+1]}
    out="$TMP/$(echo "$rel" | tr / _)"
    if [[ $offline == 0 ]]; then
      code=0
      fetch_url "$RAW_URL/$COMMIT/data/$rel" "$out" || code=$?
      if [[ $code == 0 ]]; then
        install_file "$rel" "$sum" "$out" || failed=$((failed + 1))
        continue
      fi
      echo "fetch-data: could not download $RAW_URL/$COMMIT/data/$rel" >&2
      # No downloader, or the host cannot be resolved / reached: skip the other downloads.
      case $code in 127|4|5|6|7|28) offline=1 ;; esac
    fi
    pending+=("$rel" "$sum")
  done
  # Fall back to git for whatever the plain downloads did not get.
  if [[ ${#pending[@]} -gt 0 ]]; then
    if ! command -v git >/dev/null 2>&1; then
      echo "fetch-data: git is not installed either" >&2
      failed=$((failed + ${#pending[@]} / 2))
    else
      echo "fetch-data: trying git (sparse clone of $REPO_URL at $COMMIT)"
      g="$TMP/FRCnet"
      if git init -q "$g" \
        && git -C "$g" remote add origin "$REPO_URL" \
        && git -C "$g" -c protocol.version=2 fetch -q --depth 1 --filter=blob:none origin "$COMMIT" \
        && git -C "$g" sparse-checkout set --no-cone /data/train/ /data/fc.npy /data/loss02.npy /data/loss05.npy \
        && git -C "$g" checkout -q FETCH_HEAD; then
        for ((i = 0; i < ${#pending[@]}; i += 2)); do
          rel=${pending[i]}; sum=${pending[i+1]}
          if [[ -f "$g/data/$rel" ]]; then
            install_file "$rel" "$sum" "$g/data/$rel" || failed=$((failed + 1))
          else
            echo "fetch-data: data/$rel is not in commit $COMMIT" >&2; failed=$((failed + 1))
          fi
        done
      else
        echo "fetch-data: git could not fetch commit $COMMIT from $REPO_URL" >&2
        failed=$((failed + ${#pending[@]} / 2))
      fi
    fi
  fi
fi

if [[ $failed -gt 0 ]]; then
  cat >&2 <<EOF
fetch-data: $failed file(s) could not be fetched or verified.
  Without network access, download FRCnet's data/ folder at commit $COMMIT
  ($REPO_URL/tree/$COMMIT/data) on another machine, copy it here and run
    scripts/fetch-data.sh --from PATH/TO/FRCnet/data
EOF
  exit 1
fi
echo "fetch-data: done; all $n_all files in $DEST are present and correct"
