# ZOOLAB_SANITIZE: build every target with the compiler's sanitizers, e.g.
#   cmake -S . -B build-asan -G Ninja -DZOOLAB_SANITIZE=address,undefined -DZOOLAB_GUI=OFF
# Any compiler that knows -fsanitize (GCC, Clang). Every report stops the program (no recovery), so a
# test that meets undefined behaviour fails instead of printing a line nobody reads; set
# UBSAN_OPTIONS=print_stacktrace=1 for a stack with undefined-behaviour reports.
# Included before any target is declared: the flags must reach the precompiled torch header too, or the
# targets that reuse it would not compile.

set(ZOOLAB_SANITIZE "" CACHE STRING "Sanitizers for every target, as -fsanitize takes them (address,undefined); empty: none")
if(ZOOLAB_SANITIZE)
  message(STATUS "zoolab: sanitizers ${ZOOLAB_SANITIZE}")
  add_compile_options(-fsanitize=${ZOOLAB_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${ZOOLAB_SANITIZE})
endif()
