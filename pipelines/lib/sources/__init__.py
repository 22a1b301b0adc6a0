"""One module per source (and its helpers): how its files are recognised, typed and checked."""
