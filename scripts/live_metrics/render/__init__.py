"""Renderers: metric values and changes as text (formatting), plain-text tables, the metric tree as JSON, Mermaid,
Markdown and its HTML page (exporters, html_page, with the page's CSS and JavaScript in assets/), and a
creator's report as a page (creator_html).
"""
