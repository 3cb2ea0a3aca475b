"""The joint-meeting briefing (汇报材料): one content builder (content.assemble) and its renderers
(the presentation page, pptx, pdf, excel), so every output shows the same suppressed figures."""
