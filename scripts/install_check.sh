#!/usr/bin/env bash
# Checks tfmodel's installed package as a user sees it:
#   install_check.sh BUILD_DIR HALF_PLUS_TWO_SAVED_MODEL
# installs BUILD_DIR into a temporary prefix (cmake --install), then, using only that
# prefix (no source tree include path): compiles every public header on its own (C++17,
# and c_api.h as C11), builds the C example with pkg-config and the C++ example with a
# find_package(tfmodel) CMake project, runs both on half_plus_two, and checks that
# libtfmodel.so has a versioned SONAME and exports only TFM_* functions.
# Prints "install check: all passed" or "install check: FAIL <what>" (exit 1).
set -uo pipefail
build="$1"
model="$2"
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "install check: FAIL $*"
  exit 1
}

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
libdir="$(dirname "$(find "$prefix" -name 'libtfmodel.so' | head -1)")"
[[ -n "$libdir" && -d "$libdir" ]] || fail "no libtfmodel.so under $prefix"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
export LD_LIBRARY_PATH="$libdir"

# The SONAME is versioned and only the C API is exported.
soname="$(objdump -p "$libdir/libtfmodel.so" | awk '/SONAME/ {print $2}')"
[[ "$soname" =~ ^libtfmodel\.so\.[0-9]+$ ]] || fail "SONAME is '$soname'"
others="$(nm -D --defined-only "$libdir/libtfmodel.so" | awk '{print $3}' | grep -v '^TFM_' |
  grep -v '^$' || true)"
[[ -z "$others" ]] || fail "exported non-API symbols: $(echo "$others" | head -5 | tr '\n' ' ')"
echo "SONAME $soname; $(nm -D --defined-only "$libdir/libtfmodel.so" | grep -c ' TFM_') TFM_* symbols, nothing else"

# Every public header compiles on its own.
cflags="$(pkg-config --cflags tfmodel)" || fail "pkg-config tfmodel"
for h in "$prefix"/include/tfmodel/*.h; do
  name="tfmodel/$(basename "$h")"
  echo "#include \"$name\"" >"$tmp/one.cc"
  c++ -std=c++17 -Wall -Wextra -Werror $cflags -fsyntax-only "$tmp/one.cc" ||
    fail "header $name does not compile on its own"
done
echo "#include \"tfmodel/c_api.h\"" >"$tmp/one.c"
cc -std=c11 -pedantic -Wall -Werror $cflags -fsyntax-only "$tmp/one.c" || fail "c_api.h as C11"
echo "headers: $(ls "$prefix"/include/tfmodel | tr '\n' ' ')compile standalone"

# The C example through pkg-config.
cc -std=c11 "$src/examples/c/half_plus_two.c" $(pkg-config --cflags --libs tfmodel) \
  -o "$tmp/c_example" || fail "building the C example with pkg-config"
"$tmp/c_example" "$model" >"$tmp/c.out" 2>&1 || { cat "$tmp/c.out"; fail "C example run"; }
grep -q 'y = \[2.5, 3, 4.5\]' "$tmp/c.out" || { cat "$tmp/c.out"; fail "C example output"; }
echo "C example (pkg-config): $(grep 'y = ' "$tmp/c.out")"

# The C++ example through find_package(tfmodel).
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
find_package(tfmodel 0 REQUIRED)
add_executable(cpp_example "$src/examples/cpp/half_plus_two.cc")
target_compile_features(cpp_example PRIVATE cxx_std_17)
target_link_libraries(cpp_example PRIVATE tfmodel::tfmodel)
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log"; fail "find_package(tfmodel)"; }
cmake --build "$tmp/consumer/build" >>"$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log"; fail "building the C++ example against the package"; }
mkdir -p "$tmp/work"
"$tmp/consumer/build/cpp_example" "$model" "$tmp/work" >"$tmp/cpp.out" 2>&1 ||
  { cat "$tmp/cpp.out"; fail "C++ example run"; }
[[ "$(grep -c 'y = \[2.5, 3, 4.5\]' "$tmp/cpp.out")" == 2 ]] ||
  { cat "$tmp/cpp.out"; fail "C++ example output"; }
echo "C++ example (find_package): $(grep -c 'y = ' "$tmp/cpp.out") runs, $(grep exported "$tmp/cpp.out")"
echo "install check: all passed"
