"""The Yespo event model: the catalog of event types, drafts and their wire bytes, locators, the inspector (diagnostics,
its rules and findings), repair of broken bodies, examples and field paths. Pure data and rules: it imports nothing
else from the core."""
