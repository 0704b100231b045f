from live_metrics.cli import main

raise SystemExit(main())
