from nimbus.common.db import migration

migration.run_env()
