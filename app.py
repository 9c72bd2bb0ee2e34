"""Start bulletin-rag's app (the same as `rag serve`)."""
import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["shell", *sys.argv[1:]]))
