"""The step drivers: each runs one step of the course end to end (what the CLI commands call).

preprocess (photos -> CSV), train_csv (CSV -> model and figures), colab_files (what to upload to Drive).
"""
