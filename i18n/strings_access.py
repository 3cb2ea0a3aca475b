"""Permission messages (data_access.access)."""

STRINGS: dict[str, tuple[str, str]] = {
    "access.denied": ("您的账号没有执行此操作的权限，未做任何更改。",
                      "Your account is not allowed to do this. Nothing was changed."),
    "access.signed_out": ("请先登录。", "Please sign in first."),
    "access.other_department": ("联络员只能为本部门报送和下载模板，未做任何更改。",
                                "A liaison can only submit and download templates for their own department. Nothing was changed."),
    "access.page_denied": ("您的账号无权打开此页面。", "Your account cannot open this page."),
}
