"""The metric tree and its measurement: the tree built from the manifest, the catalogue and the rules it is checked
against, the values of the latest complete period and the one before, anomalies, and why a metric moved (exact
decompositions along the tree, drivers along the dimensions), for every period of every grain.
"""
