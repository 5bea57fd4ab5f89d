"""``python -m api --config C``: see api/server.py."""

from api.server import main

raise SystemExit(main())
