"""The raw-event generator (live-metrics generate): a simulated live-streaming world as columnar events, the data-
quality problems of the input contract injected into it, hostile records, and the files in the contract's
format.
"""
