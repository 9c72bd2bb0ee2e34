"""Start bulletin-rag's web UI (the same as `rag serve`): python app.py [--host H --port P]."""
import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
