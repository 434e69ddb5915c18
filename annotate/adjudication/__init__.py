"""Adjudication: merging several annotations of a document into gold (`merge`), and that
gold back into Label Studio as each task's ground truth (`ground_truth`)."""
