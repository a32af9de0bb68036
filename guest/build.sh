#!/usr/bin/env bash
# guest/build.sh — build the CPython wasm32-wasi reactor and its stdlib bundle into wasm/.
#
#   guest/build.sh              full build (as root on Debian 12 x86_64: installs apt packages,
#                               adds deb-src entries, fetches Debian sources, builds)
#   guest/build.sh --link-only  re-link wasm/pybox.wasm from guest/src/*.c, rebuild
#                               wasm/python313.zip and wasm/manifest.json (seconds; needs a
#                               previous full build with the same guest/patches and options)
#
# Environment (A/B switches; non-default values are folded into the manifest's inputsHash, so
# `node guest/check-manifest.mjs` fails for a wasm/ built with them):
#   PYBOX_PYMALLOC=1|0        --with-pymalloc / --without-pymalloc          (default 1)
#   PYBOX_BIGDIGITS=30|15     --enable-big-digits=N                         (default 30)
#   PYBOX_ZIP=stored|deflated compression of wasm/python313.zip entries     (default stored:
#                             HTTP compression then shrinks the whole archive, 2.7 MB brotli
#                             against 4.2 MB deflated, and imports skip inflating)
#   PYBOX_WASM_OPT=0|1        run `wasm-opt -O2` on the reactor (default 0: -13 % raw size
#                             but the same gzip size and speed, and ~20 s per link)
#   PYBOX_LTO=1|0             ThinLTO (default 1; 0 is for development: a ~1 s link instead of
#                             ~50 s, 5-10 % slower, and a manifest CI refuses)
#   PYBOX_JOBS=N              make -jN                                      (default: nproc)
#
# Steps (each cached in guest/.work/, keyed by a stamp of its inputs):
#   apt      packages + deb-src entries (bookworm + trixie), only when something is missing
#   sources  apt-get source --download-only python3.13 (trixie) and zlib (bookworm), pinned
#   base     pristine .orig tree + Debian's security patches          -> .work/src-base
#   native   native build python from src-base (configure + make)     -> .work/native/python
#   zlib     zlib cross-built to wasm32-wasi (libz.a)                 -> .work/zlib
#   extlibs  bzip2, liblzma (xz-utils) and SQLite (amalgamation) for wasm32-wasi, from
#            Debian sources (PIN_SQLITE_*, PIN_XZ_*, PIN_BZIP2_*)    -> .work/extlibs
#   tzdata   the IANA zones (Debian's tzdata source, PIN_TZDATA_*) compiled by zic
#                                                                     -> .work/tzdata
#   tree     src-base + guest/patches/*.patch (sorted, patch -p1); only files whose content
#            changed are rewritten, so make rebuilds exactly what a patch touches
#                                                                     -> .work/src-cross
#   cross    CPython cross build (libpython3.13.a, libmpdec.a, libexpat.a, libHacl...)
#                                                                     -> .work/cross-pm<P>-d<D>
#   link     guest/src/*.c (-O2) + guest/src/link.flags + static libs -> reactor; wasm-strip
#   zip      sourceless .pyc stdlib + the driver (guest/src/_pybox/) + _sysconfigdata + the
#            zones as PyPI's tzdata package lays them out           -> wasm/python313.zip
#   manifest sha256s, inputsHash (guest/inputs-hash.mjs), versions, flags -> wasm/manifest.json
#
# Debian security patches applied (debian/patches/series of python3.13 3.13.5-2+deb13u5, the
# tail from CVE-2025-11468.patch on; all 35 apply cleanly to the .orig tree with patch -p1):
#   CVE-2025-11468 CVE-2025-12084 CVE-2025-13462 CVE-2025-13836 CVE-2025-13837 CVE-2025-6069
#   CVE-2025-6075 CVE-2025-8194 CVE-2025-8291 CVE-2025-15282 CVE-2026-0672 CVE-2026-0865
#   CVE-2026-1299 CVE-2026-2297 CVE-2026-3446 CVE-2026-4224 CVE-2026-3644 CVE-2026-4519
#   CVE-2026-6019 CVE-2026-6019-2 CVE-2026-6100 ssl-sni-crash ssl-reference-leak
#   dict-use-after-free traverse-managed-dicts CVE-2026-1502 CVE-2026-3276 CVE-2026-7774
#   CVE-2026-8328 CVE-2026-9669 CVE-2026-6879 CVE-2026-0864 CVE-2026-4360 CVE-2026-11940
#   CVE-2026-11972
#   (The four non-CVE ones came with the same stable security uploads; dict-use-after-free
#   fixes a regression of traverse-managed-dicts, so they go together.) The patches before it
#   in the series are Debian packaging/layout changes and are not applied.
#
# Stdlib extension modules NOT built (configure, WASI): _ctypes, _ssl, _hashlib (hashlib still
# has md5/sha1/sha2/sha3/blake2 from HACL*), _uuid, _dbm/_gdbm,
# _curses/_curses_panel, _tkinter, readline, fcntl, mmap, termios, grp, pwd, resource,
# syslog, _posixsubprocess, _multiprocessing, _posixshmem, _interp*, _testcapi & other test
# modules. Everything else (the list in REQUIRED_MODULES below and more) is compiled into
# libpython3.13.a; the build fails if a REQUIRED_MODULES entry is missing from config.c.
set -euo pipefail

# ---- pinned versions (guest/inputs-hash.mjs hashes these `PIN_*=` lines) -------------------
PIN_PYTHON_SRC=python3.13
PIN_PYTHON_DEB=3.13.5-2+deb13u5
PIN_PYTHON_UPSTREAM=3.13.5
PIN_PYTHON_ORIG_SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
PIN_DEBIAN_SECURITY_FROM=CVE-2025-11468.patch
PIN_ZLIB_SRC=zlib
PIN_ZLIB_DEB=1:1.2.13.dfsg-1
PIN_ZLIB_UPSTREAM=1.2.13.dfsg
PIN_ZLIB_ORIG_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
# The libraries behind sqlite3, lzma and bz2, and zoneinfo's time-zone database (the step
# `extlibs` builds the three for wasm32-wasi; `tzdata` compiles the zones with zic).
PIN_SQLITE_SRC=sqlite3
PIN_SQLITE_DEB=3.46.1-7+deb13u2
PIN_SQLITE_UPSTREAM=3.46.1
PIN_SQLITE_ORIG_SHA256=d0cdd2ece271b29e7ce18095745d892517ee26d0f270065b3a25c2e9eb11639c
PIN_SQLITE_PATCHES_FROM=41-fix_a_bug_in_the_NOT_NULL-IS_NULL_optimization.patch
PIN_XZ_SRC=xz-utils
PIN_XZ_DEB=5.8.1-1+deb13u1
PIN_XZ_UPSTREAM=5.8.1
PIN_XZ_ORIG_SHA256=0b54f79df85912504de0b14aec7971e3f964491af1812d83447005807513cd9e
PIN_BZIP2_SRC=bzip2
PIN_BZIP2_DEB=1.0.8-6
PIN_BZIP2_UPSTREAM=1.0.8
PIN_BZIP2_ORIG_SHA256=ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269
PIN_TZDATA_SRC=tzdata
PIN_TZDATA_DEB=2026b-0+deb12u1
PIN_TZDATA_UPSTREAM=2026b
PIN_TZDATA_ORIG_SHA256=114543d9f19a6bfeb5bca43686aea173d38755a3db1f2eec112647ae92c6f544

APT_PACKAGES=(build-essential zlib1g-dev xz-utils bzip2 patch dpkg-dev
  clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen wabt
  tcl8.6 libc-bin)   # tclsh makes SQLite's amalgamation; libc-bin has zic
REQUIRED_MODULES=(_json _asyncio _decimal zlib pyexpat _md5 _sha1 _sha2 _sha3 _blake2
  unicodedata _zoneinfo _datetime _random _struct math cmath _bisect _heapq array select
  binascii _csv _statistics _contextvars _opcode _pickle itertools _collections _functools
  _io _sre _codecs _thread _weakref _abc _operator _signal time posix errno _stat
  _string _tracemalloc _symtable _typing _locale _elementtree _queue _socket
  _sqlite3 _bz2 _lzma)
# Stdlib parts left out of the zip (paths relative to Lib/; a trailing / means a package).
ZIP_EXCLUDE=(test/ idlelib/ tkinter/ turtledemo/ lib2to3/ ensurepip/ venv/ ctypes/
  sqlite3/test/ curses/ dbm/ distutils/ pydoc_data/ __phello__/ unittest/test/ site-packages/)

PYBOX_PYMALLOC=${PYBOX_PYMALLOC:-1}
PYBOX_BIGDIGITS=${PYBOX_BIGDIGITS:-30}
PYBOX_ZIP=${PYBOX_ZIP:-stored}
PYBOX_WASM_OPT=${PYBOX_WASM_OPT:-0}
PYBOX_LTO=${PYBOX_LTO:-1}
PYBOX_JOBS=${PYBOX_JOBS:-$(nproc)}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST=$ROOT/guest
WORK=$GUEST/.work
OUT=$ROOT/wasm
DL=$WORK/dl
SYSROOT=$WORK/sysroot
SRC_BASE=$WORK/src-base
SRC_CROSS=$WORK/src-cross
NATIVE=$WORK/native
ZLIB=$WORK/zlib
CROSS=$WORK/cross-pm$PYBOX_PYMALLOC-d$PYBOX_BIGDIGITS$([ "${PYBOX_LTO:-1}" = 1 ] || echo -nolto)
LINK=$WORK/link
PYVER=3.13
PYTAG=313
WASM_CC=(clang-16 --target=wasm32-wasi "--sysroot=$SYSROOT")

LINK_ONLY=0
for arg in "$@"; do
  case $arg in
    --link-only) LINK_ONLY=1 ;;
    -h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

case $PYBOX_PYMALLOC in 1) PYMALLOC_FLAG=--with-pymalloc ;; 0) PYMALLOC_FLAG=--without-pymalloc ;;
  *) echo "PYBOX_PYMALLOC must be 0 or 1" >&2; exit 2 ;; esac
case $PYBOX_BIGDIGITS in 15|30) ;; *) echo "PYBOX_BIGDIGITS must be 15 or 30" >&2; exit 2 ;; esac
case $PYBOX_ZIP in deflated|stored) ;; *) echo "PYBOX_ZIP must be deflated or stored" >&2; exit 2 ;; esac
case $PYBOX_WASM_OPT in 0|1) ;; *) echo "PYBOX_WASM_OPT must be 0 or 1" >&2; exit 2 ;; esac
case $PYBOX_LTO in 0|1) ;; *) echo "PYBOX_LTO must be 0 or 1" >&2; exit 2 ;; esac
# Non-default options are part of the inputs hash (see guest/inputs-hash.mjs).
HASH_OPTIONS=()
[ "$PYBOX_PYMALLOC" = 1 ] || HASH_OPTIONS+=(--option "pymalloc=$PYBOX_PYMALLOC")
[ "$PYBOX_BIGDIGITS" = 30 ] || HASH_OPTIONS+=(--option "bigdigits=$PYBOX_BIGDIGITS")
[ "$PYBOX_ZIP" = stored ] || HASH_OPTIONS+=(--option "zip=$PYBOX_ZIP")
[ "$PYBOX_WASM_OPT" = 0 ] || HASH_OPTIONS+=(--option "wasmopt=$PYBOX_WASM_OPT")
[ "$PYBOX_LTO" = 1 ] || HASH_OPTIONS+=(--option "lto=$PYBOX_LTO")

# ---- helpers ---------------------------------------------------------------------------------
T_START=$(date +%s.%N)
TIMINGS=()
step_t0=
log() { printf '\033[1m[pybox]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[pybox] error:\033[0m %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step_begin() { CUR_STEP=$1; step_t0=$(date +%s.%N); log "== $1"; }
step_end() { # $1: note (e.g. "cached")
  TIMINGS+=("$(printf '%-9s %7s s  %s' "$CUR_STEP" "$(since "$step_t0")" "${1:-}")")
  log "   $CUR_STEP: $(since "$step_t0") s ${1:-}"
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
mkvar() { make -s --no-print-directory -C "$1" --eval 'pybox-print-%: ; @printf "%s\n" "$($*)"' "pybox-print-$2"; }
run_logged() { # $1: log file, rest: command; shows the log tail on failure
  local logf=$1; shift
  if ! "$@" >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "command failed: $* (full log: $logf)"
  fi
}

# ---- step: apt -------------------------------------------------------------------------------
DEBSRC_FILE=/etc/apt/sources.list.d/pybox-deb-src.sources
ensure_apt() {
  step_begin apt
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
  done
  local have_src=0
  if apt-cache showsrc "$PIN_PYTHON_SRC" 2>/dev/null | grep -x "Version: $PIN_PYTHON_DEB" >/dev/null &&
     apt-cache showsrc "$PIN_ZLIB_SRC" 2>/dev/null | grep -x "Version: $PIN_ZLIB_DEB" >/dev/null; then
    have_src=1
  fi
  if [ ${#missing[@]} -eq 0 ] && [ $have_src = 1 ]; then step_end "all present"; return; fi
  [ "$(id -u)" = 0 ] || die "need root to install ${missing[*]:-deb-src entries} (or install them yourself)"
  if [ $have_src = 0 ] && [ ! -f "$DEBSRC_FILE" ]; then
    log "adding $DEBSRC_FILE (deb-src: bookworm trixie)"
    cat >"$DEBSRC_FILE" <<'EOF'
# Added by PyBox guest/build.sh: source packages python3.13 (trixie) and zlib (bookworm).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  apt-cache showsrc "$PIN_PYTHON_SRC" | grep -x "Version: $PIN_PYTHON_DEB" >/dev/null ||
    die "apt has no source $PIN_PYTHON_SRC=$PIN_PYTHON_DEB; it offers: $(apt-cache showsrc "$PIN_PYTHON_SRC" | sed -n 's/^Version: //p' | tr '\n' ' ')— update the PIN_* lines in guest/build.sh"
  step_end "installed: ${missing[*]:-none}"
}

# ---- step: sources ---------------------------------------------------------------------------
PY_ORIG=$DL/${PIN_PYTHON_SRC}_${PIN_PYTHON_UPSTREAM}.orig.tar.xz
PY_DEBIAN=$DL/${PIN_PYTHON_SRC}_${PIN_PYTHON_DEB#*:}.debian.tar.xz
ZLIB_ORIG=$DL/${PIN_ZLIB_SRC}_${PIN_ZLIB_UPSTREAM}.orig.tar.bz2
fetch_sources() {
  step_begin sources
  mkdir -p "$DL"
  local fetched=()
  if [ ! -f "$PY_ORIG" ] || [ ! -f "$PY_DEBIAN" ]; then
    (cd "$DL" && apt-get source -q --download-only "$PIN_PYTHON_SRC=$PIN_PYTHON_DEB" >"$DL/apt-python.log" 2>&1) ||
      { cat "$DL/apt-python.log" >&2
        die "apt-get source $PIN_PYTHON_SRC=$PIN_PYTHON_DEB failed. Available: $(apt-cache showsrc "$PIN_PYTHON_SRC" | sed -n 's/^Version: //p' | tr '\n' ' ')— if Debian moved on, update the PIN_* lines in guest/build.sh"; }
    fetched+=(python)
  fi
  if [ ! -f "$ZLIB_ORIG" ]; then
    (cd "$DL" && apt-get source -q --download-only "$PIN_ZLIB_SRC=$PIN_ZLIB_DEB" >"$DL/apt-zlib.log" 2>&1) ||
      { cat "$DL/apt-zlib.log" >&2; die "apt-get source $PIN_ZLIB_SRC=$PIN_ZLIB_DEB failed; update the PIN_* lines"; }
    fetched+=(zlib)
  fi
  [ -f "$PY_ORIG" ] && [ -f "$PY_DEBIAN" ] && [ -f "$ZLIB_ORIG" ] ||
    die "expected $PY_ORIG, $PY_DEBIAN, $ZLIB_ORIG after apt-get source"
  local lib
  for lib in SQLITE XZ BZIP2 TZDATA; do fetch_pinned "$lib" && fetched+=("${lib,,}"); done
  local s
  s=$(sha256 "$PY_ORIG"); [ "$s" = "$PIN_PYTHON_ORIG_SHA256" ] ||
    die "$PY_ORIG has sha256 $s, PIN_PYTHON_ORIG_SHA256 says $PIN_PYTHON_ORIG_SHA256"
  s=$(sha256 "$ZLIB_ORIG"); [ "$s" = "$PIN_ZLIB_ORIG_SHA256" ] ||
    die "$ZLIB_ORIG has sha256 $s, PIN_ZLIB_ORIG_SHA256 says $PIN_ZLIB_ORIG_SHA256"
  if [ ${#fetched[@]} -gt 0 ]; then step_end "downloaded ${fetched[*]}"; else step_end cached; fi
}

# One of the PIN_<LIB>_* sources (SQLITE XZ BZIP2 TZDATA): downloads it when missing (returns 0
# then), checks the .orig sha256, and sets <LIB>_ORIG and <LIB>_DEBIAN to the tarballs' paths.
fetch_pinned() {
  local lib=$1 src deb up want got=1 f
  src=PIN_${lib}_SRC; deb=PIN_${lib}_DEB; up=PIN_${lib}_UPSTREAM; want=PIN_${lib}_ORIG_SHA256
  src=${!src}; deb=${!deb}; up=${!up}; want=${!want}
  orig_of() { compgen -G "$DL/${src}_${up}.orig.tar.*" | grep -v '\.asc$' | head -1; }
  if [ -z "$(orig_of)" ] || [ -z "$(compgen -G "$DL/${src}_${deb#*:}.debian.tar.*")" ]; then
    (cd "$DL" && apt-get source -q --download-only "$src=$deb" >"$DL/apt-$src.log" 2>&1) ||
      { cat "$DL/apt-$src.log" >&2
        die "apt-get source $src=$deb failed. Available: $(apt-cache showsrc "$src" | sed -n 's/^Version: //p' | tr '\n' ' ')— update the PIN_${lib}_* lines in guest/build.sh"; }
    got=0
  fi
  f=$(orig_of); [ -n "$f" ] || die "no ${src}_${up}.orig tarball in $DL after apt-get source"
  [ "$(sha256 "$f")" = "$want" ] || die "$f has sha256 $(sha256 "$f"), PIN_${lib}_ORIG_SHA256 says $want"
  printf -v "${lib}_ORIG" '%s' "$f"
  printf -v "${lib}_DEBIAN" '%s' "$(compgen -G "$DL/${src}_${deb#*:}.debian.tar.*" | head -1)"
  return $got
}

# ---- private sysroot: keeps Debian clang from adding host /usr/include to wasm builds -------
ensure_sysroot() {
  mkdir -p "$SYSROOT/include" "$SYSROOT/lib"
  ln -sfn /usr/include/wasm32-wasi "$SYSROOT/include/wasm32-wasi"
  ln -sfn /usr/lib/wasm32-wasi "$SYSROOT/lib/wasm32-wasi"
}

# ---- step: base (pristine .orig + Debian security patches) -----------------------------------
DEB_PATCHES=()   # filled by base_tree
base_tree() {
  step_begin base
  local stamp="$PIN_PYTHON_DEB $PIN_PYTHON_ORIG_SHA256 $(sha256 "$PY_DEBIAN") from=$PIN_DEBIAN_SECURITY_FROM"
  if stamp_ok "$SRC_BASE/.pybox-stamp" "$stamp"; then
    mapfile -t DEB_PATCHES <"$SRC_BASE/.pybox-debian-patches"
    step_end "cached (${#DEB_PATCHES[@]} Debian patches)"; return
  fi
  rm -rf "$SRC_BASE" "$WORK/debian"
  mkdir -p "$SRC_BASE" "$WORK/debian"
  tar -xf "$PY_ORIG" -C "$SRC_BASE" --strip-components=1
  tar -xf "$PY_DEBIAN" -C "$WORK/debian"
  local series=$WORK/debian/debian/patches/series
  grep -qx "$PIN_DEBIAN_SECURITY_FROM" "$series" || die "$PIN_DEBIAN_SECURITY_FROM not in $series"
  mapfile -t DEB_PATCHES < <(sed -n "/^${PIN_DEBIAN_SECURITY_FROM//./\\.}\$/,\$p" "$series" | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$')
  local p
  for p in "${DEB_PATCHES[@]}"; do
    patch -d "$SRC_BASE" -p1 --forward --no-backup-if-mismatch -s --dry-run -i "$WORK/debian/debian/patches/$p" >/dev/null ||
      die "Debian patch $p does not apply cleanly to the .orig tree"
    patch -d "$SRC_BASE" -p1 --forward --no-backup-if-mismatch -s -i "$WORK/debian/debian/patches/$p"
  done
  printf '%s\n' "${DEB_PATCHES[@]}" >"$SRC_BASE/.pybox-debian-patches"
  echo "$stamp" >"$SRC_BASE/.pybox-stamp"
  step_end "extracted, ${#DEB_PATCHES[@]} Debian patches applied"
}

# ---- step: native build python ---------------------------------------------------------------
BUILD_PY=$NATIVE/python
native_python() {
  step_begin native
  local stamp; stamp="$(cat "$SRC_BASE/.pybox-stamp") native-v1"
  if stamp_ok "$NATIVE/.pybox-stamp" "$stamp" && [ -x "$BUILD_PY" ]; then step_end cached; return; fi
  rm -rf "$NATIVE"; mkdir -p "$NATIVE"
  local t0; t0=$(date +%s)
  (cd "$NATIVE" && run_logged "$NATIVE/configure.log" ../src-base/configure \
      --without-ensurepip --disable-test-modules OPT="-DNDEBUG -O2")
  local t1; t1=$(date +%s)
  run_logged "$NATIVE/make.log" make -C "$NATIVE" -j"$PYBOX_JOBS"
  "$BUILD_PY" -c 'import sys, zlib; assert sys.version_info[:2] == (3, 13)' ||
    die "native build python is not a working 3.13 with zlib"
  echo "$stamp" >"$NATIVE/.pybox-stamp"
  step_end "configure $((t1 - t0)) s, make $(($(date +%s) - t1)) s"
}

# ---- step: zlib for wasm32-wasi --------------------------------------------------------------
zlib_wasm() {
  step_begin zlib
  local stamp="$PIN_ZLIB_DEB $PIN_ZLIB_ORIG_SHA256 $(clang-16 --version | head -1) zlib-v1"
  if stamp_ok "$ZLIB/.pybox-stamp" "$stamp" && [ -f "$ZLIB/libz.a" ]; then step_end cached; return; fi
  rm -rf "$ZLIB"; mkdir -p "$ZLIB"
  tar -xjf "$ZLIB_ORIG" -C "$ZLIB" --strip-components=1
  (cd "$ZLIB" && CHOST=wasm32-wasi CC="${WASM_CC[*]}" CFLAGS="-O2" AR=llvm-ar-16 RANLIB=llvm-ranlib-16 \
      run_logged "$ZLIB/pybox-configure.log" ./configure --static)
  run_logged "$ZLIB/pybox-make.log" make -C "$ZLIB" -j"$PYBOX_JOBS" libz.a
  echo "$stamp" >"$ZLIB/.pybox-stamp"
  step_end "libz.a $(stat -c %s "$ZLIB/libz.a") bytes"
}

# ---- step: extlibs (bzip2, liblzma, SQLite for wasm32-wasi) ---------------------------------
# Each lands in $EXTLIBS/<name>/{include,lib} and is handed to CPython's configure as
# <NAME>_CFLAGS/<NAME>_LIBS, so _bz2, _lzma and _sqlite3 are built in like zlib.
EXTLIBS=$WORK/extlibs
# SQLite: no loadable extensions, no threads and no WAL (wasi has no shared memory; sqlite3.c
# sets these for __wasi__ itself), no file locks (one process owns the box's files: "unix-none"),
# temporary tables in memory (no temp files in the box), and the SQL math functions.
SQLITE_WASM_DEFS=(-DSQLITE_DEFAULT_UNIX_VFS='"unix-none"' -DSQLITE_TEMP_STORE=3 -DSQLITE_MAX_MMAP_SIZE=0
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -DSQLITE_DQS=0)
# Debian patches applied to a source: those of debian/patches/series from $2 on (all when empty).
deb_series_from() { # $1: unpacked debian/ dir, $2: first patch or ""
  local series=$1/patches/series
  [ -f "$series" ] || return 0
  if [ -n "$2" ]; then
    grep -qx "$2" "$series" || die "$2 not in $series"
    sed -n "/^${2//./\\.}\$/,\$p" "$series"
  else
    cat "$series"
  fi | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$' || true
}
unpack_with_patches() { # $1: dest, $2: orig tarball, $3: debian tarball, $4: first patch ("" = all); echoes the patches
  local dest=$1 p
  rm -rf "$dest" "$dest.debian"; mkdir -p "$dest" "$dest.debian"
  tar -xf "$2" -C "$dest" --strip-components=1
  tar -xf "$3" -C "$dest.debian"
  for p in $(deb_series_from "$dest.debian/debian" "$4"); do
    patch -d "$dest" -p1 --forward --no-backup-if-mismatch -s -i "$dest.debian/debian/patches/$p" ||
      die "Debian patch $p does not apply to $(basename "$2")"
    echo "$p"
  done
}
ext_libs() {
  step_begin extlibs
  mkdir -p "$EXTLIBS"
  local cc_id notes=() stamp d
  cc_id="$(clang-16 --version | head -1) $(dpkg-query -W -f='${Version}' wasi-libc)"
  # bzip2: the library's seven files (Debian's patches touch only the tools and the manual).
  d=$EXTLIBS/bzip2
  stamp="$PIN_BZIP2_DEB $PIN_BZIP2_ORIG_SHA256 $cc_id bzip2-v1"
  if stamp_ok "$d/.pybox-stamp" "$stamp" && [ -f "$d/lib/libbz2.a" ]; then notes+=(bzip2:cached); else
    rm -rf "$d"; mkdir -p "$d/include" "$d/lib" "$d/src"
    tar -xf "$BZIP2_ORIG" -C "$d/src" --strip-components=1
    local o objs=()
    for o in blocksort huffman crctable randtable compress decompress bzlib; do
      "${WASM_CC[@]}" -O2 -D_FILE_OFFSET_BITS=64 -c "$d/src/$o.c" -o "$d/src/$o.o" || die "compiling bzip2 $o.c failed"
      objs+=("$d/src/$o.o")
    done
    llvm-ar-16 rcs "$d/lib/libbz2.a" "${objs[@]}"
    cp "$d/src/bzlib.h" "$d/include/"
    echo "$stamp" >"$d/.pybox-stamp"; notes+=("bzip2 $(stat -c %s "$d/lib/libbz2.a")")
  fi
  # liblzma from xz-utils, with Debian's patches; no threads, no tools.
  d=$EXTLIBS/xz
  stamp="$PIN_XZ_DEB $PIN_XZ_ORIG_SHA256 $(sha256 "$XZ_DEBIAN") $cc_id xz-v1"
  if stamp_ok "$d/.pybox-stamp" "$stamp" && [ -f "$d/lib/liblzma.a" ]; then notes+=(xz:cached); else
    unpack_with_patches "$d/src" "$XZ_ORIG" "$XZ_DEBIAN" "" >"$d.patches"
    mkdir -p "$d/src/bld" "$d/include" "$d/lib"
    (cd "$d/src/bld" && CC="${WASM_CC[*]}" AR=llvm-ar-16 RANLIB=llvm-ranlib-16 CFLAGS="-O2" \
      run_logged "$d/configure.log" ../configure --host=wasm32-unknown-wasi --build=x86_64-pc-linux-gnu \
        --enable-static --disable-shared --disable-threads --disable-xz --disable-xzdec --disable-lzmadec \
        --disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc --disable-nls --disable-sandbox)
    run_logged "$d/make.log" make -C "$d/src/bld/src/liblzma" -j"$PYBOX_JOBS"
    cp "$d/src/bld/src/liblzma/.libs/liblzma.a" "$d/lib/"
    cp -r "$d/src/src/liblzma/api/lzma.h" "$d/src/src/liblzma/api/lzma" "$d/include/"
    echo "$stamp" >"$d/.pybox-stamp"; notes+=("xz $(stat -c %s "$d/lib/liblzma.a")")
  fi
  # SQLite: Debian's patches from PIN_SQLITE_PATCHES_FROM on (the source fixes and CVEs), the
  # amalgamation made natively (tclsh), then compiled for wasm.
  d=$EXTLIBS/sqlite
  stamp="$PIN_SQLITE_DEB $PIN_SQLITE_ORIG_SHA256 $(sha256 "$SQLITE_DEBIAN") from=$PIN_SQLITE_PATCHES_FROM ${SQLITE_WASM_DEFS[*]} $cc_id sqlite-v1"
  if stamp_ok "$d/.pybox-stamp" "$stamp" && [ -f "$d/lib/libsqlite3.a" ]; then notes+=(sqlite:cached); else
    unpack_with_patches "$d/src" "$SQLITE_ORIG" "$SQLITE_DEBIAN" "$PIN_SQLITE_PATCHES_FROM" >"$d.patches"
    mkdir -p "$d/src/bld" "$d/include" "$d/lib"
    (cd "$d/src/bld" && run_logged "$d/amalgamation.log" ../configure --disable-tcl --disable-readline)
    run_logged "$d/amalgamation-make.log" make -C "$d/src/bld" sqlite3.c
    "${WASM_CC[@]}" -O2 "${SQLITE_WASM_DEFS[@]}" -c "$d/src/bld/sqlite3.c" -o "$d/src/bld/sqlite3.wasm.o" ||
      die "compiling sqlite3.c for wasm32-wasi failed"
    llvm-ar-16 rcs "$d/lib/libsqlite3.a" "$d/src/bld/sqlite3.wasm.o"
    cp "$d/src/bld/sqlite3.h" "$d/include/"
    echo "$stamp" >"$d/.pybox-stamp"; notes+=("sqlite $(stat -c %s "$d/lib/libsqlite3.a")")
  fi
  step_end "${notes[*]}"
}
# What CPython's configure gets for the three (and what the cross build's stamp covers).
ext_configure_env() {
  local n
  for n in bzip2:BZIP2:bz2 xz:LIBLZMA:lzma sqlite:LIBSQLITE3:sqlite3; do
    IFS=: read -r dir var lib <<<"$n"
    printf '%s_CFLAGS=-I%s\n%s_LIBS=-L%s -l%s\n' "$var" "$EXTLIBS/$dir/include" "$var" "$EXTLIBS/$dir/lib" "$lib"
  done
}
ext_stamps() { cat "$EXTLIBS"/{bzip2,xz,sqlite}/.pybox-stamp 2>/dev/null; }

# ---- step: tzdata (zoneinfo's database, compiled by zic) -----------------------------------
# The zones land in the stdlib zip under tzdata/zoneinfo/ (the layout of PyPI's tzdata package,
# with tzdata/zones listing them); the engine shows them at /usr/share/zoneinfo, the first
# folder of zoneinfo's TZPATH.
TZDATA=$WORK/tzdata
tz_data() {
  step_begin tzdata
  local stamp="$PIN_TZDATA_DEB $PIN_TZDATA_ORIG_SHA256 $(zic --version 2>&1 | head -1) tzdata-v1"
  if stamp_ok "$TZDATA/.pybox-stamp" "$stamp" && [ -d "$TZDATA/zoneinfo" ]; then step_end cached; return; fi
  rm -rf "$TZDATA"; mkdir -p "$TZDATA/src"
  tar -xf "$TZDATA_ORIG" -C "$TZDATA/src"
  # The primary data plus the links of `backward` (old names such as US/Eastern), slim TZif files.
  (cd "$TZDATA/src" && zic -b slim -d "$TZDATA/zoneinfo" africa antarctica asia australasia europe \
    northamerica southamerica etcetera backward factory) || die "zic failed"
  echo "$PIN_TZDATA_UPSTREAM" >"$TZDATA/version"
  echo "$stamp" >"$TZDATA/.pybox-stamp"
  step_end "$(find "$TZDATA/zoneinfo" -type f | wc -l) zones"
}

# ---- step: tree (src-base + our patches) -----------------------------------------------------
OUR_PATCHES=()
our_patches_list() {
  OUR_PATCHES=()
  local f
  while IFS= read -r f; do OUR_PATCHES+=("$f"); done < <(cd "$GUEST/patches" 2>/dev/null && ls -1 -- *.patch 2>/dev/null | LC_ALL=C sort)
}
our_patches_stamp() {
  local f
  { cat "$SRC_BASE/.pybox-stamp"
    for f in "${OUR_PATCHES[@]}"; do echo "$f $(sha256 "$GUEST/patches/$f")"; done; } | sha256sum | cut -d' ' -f1
}
CHANGED_LIST=$WORK/src-cross-changed.txt
cross_tree() {
  step_begin tree
  our_patches_list
  local stamp; stamp=$(our_patches_stamp)
  if stamp_ok "$WORK/src-cross.stamp" "$stamp" && [ -d "$SRC_CROSS" ]; then
    step_end "cached (${#OUR_PATCHES[@]} patches)"; return
  fi
  local staging=$WORK/src-staging f
  rm -rf "$staging"
  cp -a "$SRC_BASE" "$staging"
  for f in "${OUR_PATCHES[@]}"; do
    patch -d "$staging" -p1 --forward --no-backup-if-mismatch -s --dry-run -i "$GUEST/patches/$f" >/dev/null ||
      { patch -d "$staging" -p1 --forward --no-backup-if-mismatch --dry-run -i "$GUEST/patches/$f" >&2 || true
        rm -rf "$staging"; die "guest/patches/$f does not apply (after the Debian patches and the patches sorted before it)"; }
    patch -d "$staging" -p1 --forward --no-backup-if-mismatch -s -i "$GUEST/patches/$f"
  done
  if [ ! -d "$SRC_CROSS" ]; then
    mv "$staging" "$SRC_CROSS"; echo '*' >>"$CHANGED_LIST"
  else
    # Rewrite only files whose content differs, so their mtime moves and make rebuilds
    # what depends on them (and nothing else).
    "$BUILD_PY" - "$staging" "$SRC_CROSS" >>"$CHANGED_LIST" <<'PYEOF'
import os, shutil, sys, filecmp
src, dst = sys.argv[1], sys.argv[2]
seen = set()
for d, dirs, files in os.walk(src):
    rel = os.path.relpath(d, src)
    os.makedirs(os.path.join(dst, rel), exist_ok=True)
    for name in files:
        r = os.path.normpath(os.path.join(rel, name)); seen.add(r)
        a, b = os.path.join(src, r), os.path.join(dst, r)
        if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
            if os.path.lexists(b): os.remove(b)
            shutil.copyfile(a, b, follow_symlinks=False); shutil.copymode(a, b)
            print(r)
for d, dirs, files in os.walk(dst):
    rel = os.path.relpath(d, dst)
    for name in files:
        r = os.path.normpath(os.path.join(rel, name))
        if r not in seen:
            os.remove(os.path.join(dst, r)); print(r)
PYEOF
    rm -rf "$staging"
  fi
  echo "$stamp" >"$WORK/src-cross.stamp"
  step_end "${#OUR_PATCHES[@]} patches; changed files: $(grep -c . "$CHANGED_LIST" || true)"
}

# ---- step: cross build -----------------------------------------------------------------------
CONFIGURE_FLAGS=(--host=wasm32-unknown-wasi --build=x86_64-pc-linux-gnu
  "--with-build-python=$BUILD_PY" --disable-test-modules --disable-ipv6 --without-ensurepip
  "$PYMALLOC_FLAG" "--enable-big-digits=$PYBOX_BIGDIGITS")
# configure's WASI default OPT is "-DNDEBUG -g -O3 -Wall"; the DWARF from -g only slowed the link
# and wasm-opt (23 MB unstripped module) and is stripped from wasm/ anyway.
CROSS_OPT="-DNDEBUG -O3 -Wall"
[ "$PYBOX_LTO" = 1 ] && CROSS_OPT+=" -flto=thin"
CROSS_CFLAGS="-Wno-error=int-conversion -DSIZEOF_PTHREAD_T=4 -ffile-prefix-map=$WORK/="
cross_build() {
  step_begin cross
  local cstamp; cstamp=$(printf '%s\n' "${CONFIGURE_FLAGS[@]}" "$CROSS_CFLAGS" "$CROSS_OPT" "$(clang-16 --version | head -1)" \
      "$(dpkg-query -W -f='${Version}' wasi-libc)" "$(cat "$ZLIB/.pybox-stamp")" "$(cat "$SRC_BASE/.pybox-stamp")" \
      "$(ext_stamps)" cross-v3)
  local reconf=0
  stamp_ok "$CROSS/.pybox-configure-stamp" "$cstamp" && [ -f "$CROSS/Makefile" ] || reconf=1
  if grep -qxE '\*|configure|configure\.ac|Makefile\.pre\.in|pyconfig\.h\.in|Modules/Setup.*|Tools/wasm/config\.site-wasm32-wasi' "$CHANGED_LIST" 2>/dev/null; then
    reconf=1
  fi
  local t0 t1 note=""
  t0=$(date +%s)
  if [ $reconf = 1 ]; then
    rm -rf "$CROSS"; mkdir -p "$CROSS"
    mkdir -p "$WORK/empty-pkgconfig"
    # Relative path to configure: upstream's Tools/wasm/wasi.py requires it (VPATH).
    local ext_env; mapfile -t ext_env < <(ext_configure_env)
    (cd "$CROSS" && export "${ext_env[@]}" && CONFIG_SITE="$SRC_CROSS/Tools/wasm/config.site-wasm32-wasi" \
      PKG_CONFIG_LIBDIR="$WORK/empty-pkgconfig" PKG_CONFIG_PATH= \
      CC="${WASM_CC[*]}" CPP="${WASM_CC[*]} -E" AR=llvm-ar-16 RANLIB=llvm-ranlib-16 \
      CFLAGS="$CROSS_CFLAGS" \
      ZLIB_CFLAGS="-I$ZLIB" ZLIB_LIBS="$ZLIB/libz.a" \
      run_logged "$CROSS/pybox-configure.log" "../$(basename "$SRC_CROSS")/configure" "${CONFIGURE_FLAGS[@]}" \
        "OPT=$CROSS_OPT")
    echo "$cstamp" >"$CROSS/.pybox-configure-stamp"
    note="configure $(($(date +%s) - t0)) s, "
  fi
  t1=$(date +%s)
  # Only the static libraries and the sysconfig data: python.wasm (the `all` target) cannot
  # link once guest/patches reference symbols that guest/src/*.c defines.
  local targets=("$(mkvar "$CROSS" LIBRARY)") l
  for l in $(mkvar "$CROSS" MODLIBS); do case $l in *.a) [[ $l == /* ]] || targets+=("$l") ;; esac; done
  rm -f "$CROSS/pybuilddir.txt"
  targets+=(pybuilddir.txt)
  run_logged "$CROSS/pybox-make.log" make -C "$CROSS" -j"$PYBOX_JOBS" "${targets[@]}"
  note+="make $(($(date +%s) - t1)) s"
  check_modules
  # What the link step needs, so --link-only does not have to ask make again.
  {
    printf 'LINK_LDFLAGS=%q\n' "$(mkvar "$CROSS" PY_CORE_LDFLAGS) $(mkvar "$CROSS" LINKFORSHARED)"
    printf 'LINK_LIBS=%q\n' "$(mkvar "$CROSS" LIBRARY) $(mkvar "$CROSS" MODLIBS) $(mkvar "$CROSS" LIBS) $(mkvar "$CROSS" SYSLIBS)"
    printf 'LINK_PYBUILDDIR=%q\n' "$(cat "$CROSS/pybuilddir.txt")"
    printf 'LINK_PATCH_STAMP=%q\n' "$(cat "$WORK/src-cross.stamp")"
    printf 'LINK_CONFIG_ARGS=%q\n' "$(mkvar "$CROSS" CONFIG_ARGS)"
  } >"$CROSS/pybox-link.env"
  : >"$CHANGED_LIST"
  step_end "$note"
}

BUILTIN_MODULES=()
MISSING_MODULES=()
check_modules() {
  mapfile -t BUILTIN_MODULES < <(sed -n 's/^ *{"\([A-Za-z0-9_.]*\)", PyInit_.*/\1/p' "$CROSS/Modules/config.c" | LC_ALL=C sort -u)
  # Built-ins registered outside config.c's table (marshal, _imp, sys, builtins, ...)
  local m missing=(); local -A have=()
  for m in "${BUILTIN_MODULES[@]}"; do have[$m]=1; done
  for m in "${REQUIRED_MODULES[@]}"; do [ -n "${have[$m]:-}" ] || missing+=("$m"); done
  [ ${#missing[@]} -eq 0 ] || die "required modules missing from $CROSS/Modules/config.c: ${missing[*]}"
  mapfile -t MISSING_MODULES < <(grep -E '^MODULE_[A-Z0-9_]+_STATE=' "$CROSS/Makefile" |
    grep -vE '=yes$' | sed -E 's/^MODULE_(.*)_STATE=(.*)$/\1 \2/' | tr 'A-Z' 'a-z' | LC_ALL=C sort)
  printf '%s\n' "${BUILTIN_MODULES[@]}" >"$CROSS/pybox-builtin-modules.txt"
  printf '%s\n' "${MISSING_MODULES[@]}" >"$CROSS/pybox-missing-modules.txt"
}

# ---- step: link ------------------------------------------------------------------------------
link_reactor() {
  step_begin link
  [ -f "$CROSS/pybox-link.env" ] || die "no cross build in $CROSS: run guest/build.sh without --link-only first"
  # shellcheck disable=SC1090,SC1091
  source "$CROSS/pybox-link.env"
  our_patches_list
  if [ "$LINK_PATCH_STAMP" != "$(our_patches_stamp)" ]; then
    die "guest/patches changed since the last cross build: run guest/build.sh without --link-only"
  fi
  shopt -s nullglob
  local csrc=("$GUEST"/src/*.c)
  if [ ${#csrc[@]} -eq 0 ]; then
    log "no guest/src/*.c: writing a placeholder guest/src/pybox.c"
    mkdir -p "$GUEST/src"
    cat >"$GUEST/src/pybox.c" <<'EOF'
/* Placeholder written by guest/build.sh because guest/src had no C file. Replace it. */
#include <Python.h>
__attribute__((export_name("pybox_placeholder"))) int pybox_placeholder(void) { return Py_IsInitialized(); }
EOF
    csrc=("$GUEST/src/pybox.c")
  fi
  shopt -u nullglob
  mkdir -p "$LINK" "$OUT"
  local libs=() l
  for l in $LINK_LIBS; do
    case $l in -*|/*) libs+=("$l") ;; *) libs+=("$CROSS/$l") ;; esac
  done
  # guest/src/link.flags: extra flags the glue needs (e.g. --wrap for the allocator).
  GLUE_LDFLAGS=$( [ -f "$GUEST/src/link.flags" ] && sed 's/#.*//' "$GUEST/src/link.flags" | tr '\n' ' ' || true)
  # Compile with -O2 but link WITHOUT an -O flag: given one, clang-16 runs `wasm-opt` on its
  # own whenever binaryen is on PATH (~20 s here). wasm-opt is a separate, explicit choice.
  rm -rf "$LINK/obj"; mkdir -p "$LINK/obj"
  # The guest knows its own build (pybox_build_id): snapshots taken from another build are refused.
  local build_id; build_id=$(node "$GUEST/inputs-hash.mjs" "${HASH_OPTIONS[@]}")
  local objs=() c o
  for c in "${csrc[@]}"; do
    o=$LINK/obj/$(basename "${c%.c}").o
    "${WASM_CC[@]}" -O2 "-ffile-prefix-map=$ROOT/=" "-DPYBOX_BUILD_ID=\"$build_id\"" -I"$SRC_CROSS/Include" -I"$CROSS" -c "$c" -o "$o" ||
      die "compiling ${c#"$ROOT"/} failed"
    objs+=("$o")
  done
  # shellcheck disable=SC2086
  LINK_CMD=("${WASM_CC[@]}" -mexec-model=reactor "${objs[@]}" $LINK_LDFLAGS $GLUE_LDFLAGS "${libs[@]}"
    -o "$LINK/pybox.raw.wasm")
  "${LINK_CMD[@]}" || die "link failed"
  local raw_size opt_note=""
  raw_size=$(stat -c %s "$LINK/pybox.raw.wasm")
  wasm-strip -o "$LINK/pybox.stripped.wasm" "$LINK/pybox.raw.wasm"
  if [ "$PYBOX_WASM_OPT" = 1 ]; then
    # wasm-opt reads the features from the target_features section, so it runs before strip.
    wasm-opt -O2 "$LINK/pybox.raw.wasm" -o "$LINK/pybox.opt.wasm" || die "wasm-opt -O2 failed"
    wasm-strip "$LINK/pybox.opt.wasm"
    install -m 644 "$LINK/pybox.opt.wasm" "$OUT/pybox.wasm"
    opt_note="wasm-opt -O2 $(stat -c %s "$LINK/pybox.opt.wasm"), "
  else
    install -m 644 "$LINK/pybox.stripped.wasm" "$OUT/pybox.wasm"
  fi
  node -e 'const b=require("fs").readFileSync(process.argv[1]); if(!WebAssembly.validate(b)){console.error("invalid wasm");process.exit(1)}' "$OUT/pybox.wasm" ||
    die "wasm/pybox.wasm does not validate"
  step_end "linked $raw_size, stripped $(stat -c %s "$LINK/pybox.stripped.wasm"), ${opt_note}-> wasm/pybox.wasm"
}

# ---- step: zip -------------------------------------------------------------------------------
build_zip() {
  step_begin zip
  local sysconfigdata="$CROSS/$LINK_PYBUILDDIR/_sysconfigdata__wasi_wasm32-wasi.py"
  [ -f "$sysconfigdata" ] || die "missing $sysconfigdata"
  # PYTHONHASHSEED=0: frozenset constants are marshalled in hash order (so no -I/-E here).
  env -u PYTHONPATH -u PYTHONHOME -u PYTHONSTARTUP PYTHONHASHSEED=0 "$BUILD_PY" -s -S - "$SRC_CROSS/Lib" "$sysconfigdata" "$GUEST/src" \
      "$OUT/python$PYTAG.zip" "$PYBOX_ZIP" "/lib/python$PYTAG.zip" "$WORK" "$TZDATA" "${ZIP_EXCLUDE[@]}" <<'PYEOF'
# Sourceless, reproducible stdlib zip: legacy .pyc layout (foo.pyc where foo.py was),
# unchecked-hash pycs (no mtimes), fixed zip timestamps and attributes, sorted entries.
import importlib.util, os, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
lib, sysconfigdata, guest_src, out, compression, zip_prefix, work, tzdata, *exclude = sys.argv[1:]
excl_dirs = tuple(e for e in exclude if e.endswith('/'))
excl_files = {e for e in exclude if not e.endswith('/')}

def pyc(src_path, rel_py, replace=None):
    if src_path is None:  # generated source (replace holds it)
        source, replace = replace, None
    else:
        with open(src_path, 'rb') as f:
            source = f.read()
    if replace:
        source = source.replace(*replace)
    code = compile(source, f'{zip_prefix}/{rel_py}', 'exec', dont_inherit=True, optimize=0)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), False))

entries = {}
for d, dirs, files in os.walk(lib):
    dirs[:] = [x for x in dirs if x != '__pycache__']
    for name in files:
        if not name.endswith('.py'):
            continue
        rel = os.path.relpath(os.path.join(d, name), lib).replace(os.sep, '/')
        if rel.startswith(excl_dirs) or rel in excl_files:
            continue
        entries[rel[:-3] + '.pyc'] = (os.path.join(d, name), rel, None)
# The wasi build's sysconfig data; the build machine's paths are replaced by a fixed one.
name = os.path.basename(sysconfigdata)
entries[name[:-3] + '.pyc'] = (sysconfigdata, name, (work.encode(), b'/pybox-build'))
# The driver: guest/src/*.py and packages (folders with __init__.py) at the zip's root.
for d, dirs, files in os.walk(guest_src):
    dirs[:] = sorted(x for x in dirs if os.path.exists(os.path.join(d, x, '__init__.py')))
    for name in sorted(files):
        if name.endswith('.py'):
            rel = os.path.relpath(os.path.join(d, name), guest_src).replace(os.sep, '/')
            key = rel[:-3] + '.pyc'
            if key in entries:
                sys.exit(f'guest/src/{rel} would shadow the stdlib module {key}')
            entries[key] = (os.path.join(d, name), rel, None)

# The time-zone database as PyPI's tzdata package lays it out: packages down to the zone files,
# and tzdata/zones listing every zone (zoneinfo.available_timezones reads it).
data = {}
def source_entry(arc, text):
    entries[arc] = (None, arc[:-1], text.encode())
zones = []
for d, dirs, files in os.walk(os.path.join(tzdata, 'zoneinfo')):
    dirs.sort()
    rel = os.path.relpath(d, os.path.join(tzdata, 'zoneinfo')).replace(os.sep, '/')
    pkg = 'tzdata/zoneinfo' + ('' if rel == '.' else '/' + rel)
    source_entry(pkg + '/__init__.pyc', '')
    for name in sorted(files):
        with open(os.path.join(d, name), 'rb') as f:
            data[f'{pkg}/{name}'] = f.read()
        zones.append(name if rel == '.' else f'{rel}/{name}')
with open(os.path.join(tzdata, 'version')) as f:
    version = f.read().strip()
source_entry('tzdata/__init__.pyc', f'IANA_VERSION = {version!r}\n')
data['tzdata/zones'] = ''.join(z + '\n' for z in sorted(zones)).encode()

method = zipfile.ZIP_DEFLATED if compression == 'deflated' else zipfile.ZIP_STORED
tmp = out + '.tmp'
with zipfile.ZipFile(tmp, 'w', compression=method, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None) as zf:
    for arc in sorted(set(entries) | set(data)):
        blob = pyc(*entries[arc]) if arc in entries else data[arc]
        zi = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = method
        zi.create_system = 3
        zi.external_attr = 0o100644 << 16
        zf.writestr(zi, blob)
os.replace(tmp, out)
print(len(entries) + len(data), os.path.getsize(out))
PYEOF
  step_end "$(stat -c %s "$OUT/python$PYTAG.zip") bytes ($PYBOX_ZIP)"
}

# ---- step: tests (CPython's own regression tests, for `pnpm guest:test` only) ----------------
# wasm/python313-tests.zip: the Lib/test modules test/cpython/run.mjs runs in the guest, the
# helpers they import (found with modulefinder, plus the ones imported by name at run time)
# and their data files, as .py sources (tracebacks and inspect need them). It is a test input
# only: scripts/copy-assets.mjs ships pybox.wasm and python313.zip, so users never get it.
TEST_ZIP_FILES=(
  # shared helpers
  test/__init__.py test/support/ test/typinganndata/ test/mapping_tests.py test/re_tests.py
  test/string_tests.py test/datetimetester.py test/decimaltestdata/
  test/certdata/ssl_cert.pem test/certdata/ssl_key.pem test/certdata/keycert3.pem
  test/certdata/pycacert.pem
  # the modules
  test/test_operator.py test/test_gc.py test/test_json/ test/test_re.py test/test_asyncio/
  test/test_dataclasses/ test/test_collections.py test/test_itertools.py test/test_functools.py
  test/test_decimal.py test/test_datetime.py test/test_statistics.py test/test_csv.py
  test/test_enum.py test/test_typing.py test/test_str.py test/test_unicodedata.py test/test_io.py
  test/test_os.py
)
build_test_zip() {
  step_begin tests
  local out="$OUT/python$PYTAG-tests.zip"
  (cd "$SRC_CROSS/Lib" && env -u PYTHONPATH -u PYTHONHOME "$BUILD_PY" -s -S - "$out" "${TEST_ZIP_FILES[@]}") <<'PYEOF'
# Reproducible: sorted entries, fixed dates and attributes; __pycache__ left out.
import os, sys, zipfile
out, *wanted = sys.argv[1:]
files = set()
for w in wanted:
    if w.endswith('/'):
        for d, dirs, names in os.walk(w):
            dirs[:] = [x for x in dirs if x != '__pycache__']
            files.update(os.path.join(d, n) for n in names)
    elif os.path.isfile(w):
        files.add(w)
    else:
        sys.exit(f'TEST_ZIP_FILES: {w} is not in Lib/')
tmp = out + '.tmp'
with zipfile.ZipFile(tmp, 'w', compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    for name in sorted(files):
        zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.create_system = 3
        zi.external_attr = 0o100644 << 16
        with open(name, 'rb') as f:
            zf.writestr(zi, f.read())
os.replace(tmp, out)
print(len(files), os.path.getsize(out))
PYEOF
  step_end "$(stat -c %s "$out") bytes"
}

# ---- step: manifest --------------------------------------------------------------------------
write_manifest() {
  step_begin manifest
  local inputs_json
  inputs_json=$(node "$GUEST/inputs-hash.mjs" --json "${HASH_OPTIONS[@]}")
  [ ${#DEB_PATCHES[@]} -gt 0 ] || mapfile -t DEB_PATCHES <"$SRC_BASE/.pybox-debian-patches"
  our_patches_list
  INPUTS_JSON=$inputs_json \
  M_PY_SRC=$PIN_PYTHON_SRC M_PY_DEB=$PIN_PYTHON_DEB M_PY_UP=$PIN_PYTHON_UPSTREAM M_PY_SHA=$PIN_PYTHON_ORIG_SHA256 \
  M_PY_DEBIAN_SHA=$(sha256 "$PY_DEBIAN") \
  M_ZLIB_SRC=$PIN_ZLIB_SRC M_ZLIB_DEB=$PIN_ZLIB_DEB M_ZLIB_UP=$PIN_ZLIB_UPSTREAM M_ZLIB_SHA=$PIN_ZLIB_ORIG_SHA256 \
  M_DEB_PATCHES=$(printf '%s\n' "${DEB_PATCHES[@]}") \
  M_OUR_PATCHES=$(for f in "${OUR_PATCHES[@]}"; do echo "$f"; done) \
  M_CLANG=$(clang-16 --version | head -1) \
  M_WASI_LIBC=$(dpkg-query -W -f='${Version}' wasi-libc) \
  M_BINARYEN="$(wasm-opt --version | head -1) (Debian $(dpkg-query -W -f='${Version}' binaryen))" \
  M_WABT=$(dpkg-query -W -f='${Version}' wabt) \
  M_CONFIG_ARGS=$LINK_CONFIG_ARGS \
  M_LINK_FLAGS="-mexec-model=reactor $LINK_LDFLAGS $GLUE_LDFLAGS (glue compiled with -O2)" \
  M_LINK_LIBS=$LINK_LIBS \
  M_BUILTIN=$(cat "$CROSS/pybox-builtin-modules.txt") \
  M_MISSING=$(cat "$CROSS/pybox-missing-modules.txt") \
  M_LIBS="sqlite3=$PIN_SQLITE_DEB xz-utils=$PIN_XZ_DEB bzip2=$PIN_BZIP2_DEB tzdata=$PIN_TZDATA_DEB" \
  M_SQLITE_PATCHES=$(cat "$EXTLIBS/sqlite.patches" 2>/dev/null) M_XZ_PATCHES=$(cat "$EXTLIBS/xz.patches" 2>/dev/null) \
  M_SQLITE_DEFS="${SQLITE_WASM_DEFS[*]}" \
  M_OPTIONS="pymalloc=$PYBOX_PYMALLOC bigdigits=$PYBOX_BIGDIGITS zip=$PYBOX_ZIP wasmopt=$PYBOX_WASM_OPT" \
  WORK="$WORK" \
  node - "$OUT" <<'JSEOF'
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const out = process.argv[2], E = process.env;
const lines = (s) => (s || '').split('\n').filter(Boolean);
const inputs = JSON.parse(E.INPUTS_JSON);
const artifacts = {};
for (const name of fs.readdirSync(out).sort()) {
  if (name === 'manifest.json' || name.startsWith('.')) continue;
  const buf = fs.readFileSync(path.join(out, name));
  artifacts[name] = { bytes: buf.length, sha256: crypto.createHash('sha256').update(buf).digest('hex') };
}
const strip = (s) => s.split(E.WORK + '/').join('guest/.work/');
const manifest = {
  inputsHash: inputs.hash,
  inputs: { files: inputs.files, pins: inputs.pins.split('\n'), options: inputs.options },
  artifacts,
  python: { debianSource: E.M_PY_SRC, debianVersion: E.M_PY_DEB, upstreamVersion: E.M_PY_UP,
            origSha256: E.M_PY_SHA, debianTarSha256: E.M_PY_DEBIAN_SHA,
            debianPatchesApplied: lines(E.M_DEB_PATCHES), ourPatchesApplied: lines(E.M_OUR_PATCHES) },
  zlib: { debianSource: E.M_ZLIB_SRC, debianVersion: E.M_ZLIB_DEB, upstreamVersion: E.M_ZLIB_UP,
          origSha256: E.M_ZLIB_SHA },
  libraries: Object.fromEntries(E.M_LIBS.split(' ').map((kv) => {
    const [name, debianVersion] = kv.split('=');
    const patches = { sqlite3: lines(E.M_SQLITE_PATCHES), 'xz-utils': lines(E.M_XZ_PATCHES) }[name];
    return [name, { debianVersion, ...(patches ? { debianPatchesApplied: patches } : {}),
      ...(name === 'sqlite3' ? { defines: E.M_SQLITE_DEFS } : {}) }];
  })),
  toolchain: { clang: E.M_CLANG, wasiLibc: E.M_WASI_LIBC, binaryen: E.M_BINARYEN, wabt: E.M_WABT },
  options: Object.fromEntries(E.M_OPTIONS.split(' ').map((kv) => kv.split('='))),
  configureFlags: strip(E.M_CONFIG_ARGS).trim(),
  linkFlags: strip(E.M_LINK_FLAGS).replace(/\s+/g, ' ').trim(),
  linkLibs: strip(E.M_LINK_LIBS).replace(/\s+/g, ' ').trim(),
  builtinModules: lines(E.M_BUILTIN),
  modulesNotBuilt: lines(E.M_MISSING),
};
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
JSEOF
  node "$GUEST/check-manifest.mjs" >/dev/null 2>&1 || [ ${#HASH_OPTIONS[@]} -gt 0 ] ||
    die "guest/check-manifest.mjs disagrees with the manifest just written"
  step_end "inputsHash $(node -p 'require(process.argv[1]).inputsHash.slice(0,16)' "$OUT/manifest.json")…"
}

# __DATE__/__TIME__ (Py_GetBuildInfo) come from SOURCE_DATE_EPOCH: the pinned Debian
# changelog's date, so the reactor is byte-for-byte reproducible.
set_epoch() {
  SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$WORK/debian/debian/changelog" -STimestamp)
  export SOURCE_DATE_EPOCH
}

# ---- main ------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is required (guest/inputs-hash.mjs)"
if [ $LINK_ONLY = 1 ]; then
  [ -x "$BUILD_PY" ] && [ -d "$SRC_CROSS" ] || die "no previous full build in $WORK: run guest/build.sh"
  ensure_sysroot
  set_epoch
else
  ensure_apt
  fetch_sources
  ensure_sysroot
  base_tree
  set_epoch
  native_python
  zlib_wasm
  ext_libs
  tz_data
  cross_tree
  cross_build
fi
link_reactor
build_zip
build_test_zip
write_manifest

log "== timings"
{ printf '%s\n' "${TIMINGS[@]}"; printf '%-9s %7s s\n' total "$(since "$T_START")"; } | tee "$WORK/last-timings.txt" >&2
ls -l "$OUT" >&2
