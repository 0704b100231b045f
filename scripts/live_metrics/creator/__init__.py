"""One creator's own view (live-metrics creator), read straight from the marts: the report, its trends and
supporters, and its text and JSON (its page is render/creator_html.py).
"""
