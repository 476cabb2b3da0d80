import sys

from bundle.render import main

sys.exit(main())
