"""The chapter "Sensitivity analyses": the key outcomes' between-arm contrasts refitted under
other estimators, tests, random-effects structures and missing-data assumptions."""
