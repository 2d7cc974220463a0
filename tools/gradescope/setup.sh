#!/bin/sh
# setup.sh - Gradescope runs this once, as root, to build the autograder's
# image: it installs the Debian packages the kit needs with the kit's own
# tools/deps.sh (apt-get; quiet when everything is there).
set -eu
sh "$(dirname "$0")/kit/tools/deps.sh"
