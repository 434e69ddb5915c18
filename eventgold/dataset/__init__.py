"""The gold dataset: features, splits, rows, the writer, the dataset card and exports."""
