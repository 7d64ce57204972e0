from fn.cli import main

raise SystemExit(main())
