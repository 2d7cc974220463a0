#!/bin/sh
# setup.sh - Gradescope runs this once, as root, to build the autograder's
# image: it installs only the Debian packages grading needs (a compiler,
# make, valgrind, curl, wget, openssl, netcat, Python 3) with the kit's
# own tools/deps.sh (apt-get; quiet when everything is there).
set -eu
sh "$(dirname "$0")/kit/tools/deps.sh" grading
