"""Background work run by RQ workers; jobs take ids, never ORM objects."""
