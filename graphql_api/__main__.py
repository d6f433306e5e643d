import sys

from graphql_api.cli import main

sys.exit(main())
