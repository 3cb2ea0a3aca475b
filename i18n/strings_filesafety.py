"""Refusals of hostile or damaged uploaded files (guards.py, sandbox.py): each says what was found,
that nothing was changed, and what to do."""

_REDO = ("请用 Excel 或 WPS 打开文件，按 Ctrl+End 看最后一个单元格在哪里；删除数据下方和右侧多余的行、列和工作表"
         "（选中→右键→删除），“另存为”新的 .xlsx 后重新上传；仍不行时，请在下载的模板中重新填写。",
         "Open the file in Excel or WPS and press Ctrl+End to see where its last cell is; delete the extra rows, "
         "columns and sheets below and to the right of the data (select → right-click → Delete), “Save as” a new "
         ".xlsx and upload it again; if that fails, fill in the downloaded template.")

STRINGS: dict[str, tuple[str, str]] = {
    "ingest.err.unreadable": (
        "文件无法读取：读取时出错，文件可能已损坏或含有异常的内部结构。已拒收，数据没有任何改动。",
        "The file cannot be read: reading it failed; it may be damaged or contain abnormal internal structure. "
        "It was refused and no data was changed."),
    "ingest.err.unreadable.fix": _REDO,
    "ingest.err.unreadable_memory": (
        "文件无法读取：读取这个文件需要的内存超出了安全上限（通常是表格里有极远处的单元格、巨大的合并区域，"
        "或文件已损坏）。已拒收，数据没有任何改动。",
        "The file cannot be read: reading it would need more memory than the safe limit (usually a cell far "
        "away from the table, a huge merged area, or damage). It was refused and no data was changed."),
    "ingest.err.unreadable_memory.fix": _REDO,
    "ingest.err.unreadable_time": (
        "文件无法读取：读取超过 {seconds} 秒仍未完成（文件内部结构异常复杂或已损坏）。已拒收，数据没有任何改动。",
        "The file cannot be read: reading it took more than {seconds} seconds (abnormally complex internal "
        "structure, or damage). It was refused and no data was changed."),
    "ingest.err.unreadable_time.fix": _REDO,
    "ingest.err.server_busy": (
        "服务器正在同时读取多份文件，这份文件暂未读取，数据没有任何改动。",
        "The server is reading several files at once; this file was not read and no data was changed."),
    "ingest.err.server_busy.fix": ("请等 1 分钟后重新选择这份文件上传，文件本身无需修改。",
                                   "Wait a minute and select the same file again; the file itself needs no change."),
    "ingest.err.inflates_too_much": (
        "文件解压后超过 {max_mb} MB（按实际解压的字节计算），为安全起见已拒收，数据没有任何改动。",
        "The file expands to more than {max_mb} MB (counted while actually expanding it) and was refused for "
        "safety; no data was changed."),
    "ingest.err.inflates_too_much.fix": ("删除图片和无关工作表，或在下载的模板中重新填写后上传。",
                                         "Remove pictures and unrelated sheets, or fill in the downloaded template."),
    "ingest.err.zip_lies": (
        "文件内部记录的大小与实际内容不符（“{member}”声明 {declared} 字节，实际为 {actual} 字节），"
        "文件已损坏或被改动过，已拒收，数据没有任何改动。",
        "The file's internal directory does not match its content (“{member}” declares {declared} bytes, "
        "holds {actual}); it is damaged or was tampered with, and was refused; no data was changed."),
    "ingest.err.zip_lies.fix": _REDO,
    "ingest.err.xml_too_deep": (
        "文件内部结构异常（XML 元素嵌套超过 {max_depth} 层，Excel 和 WPS 不会这样保存），已拒收，数据没有任何改动。",
        "The file has abnormal internal structure (XML elements nested more than {max_depth} deep, which Excel "
        "and WPS never write) and was refused; no data was changed."),
    "ingest.err.xml_too_deep.fix": _REDO,
    "ingest.err.too_many_sheets": (
        "工作簿有 {count} 个工作表，超过上限 {max_sheets} 个，已拒收，数据没有任何改动。",
        "The workbook has {count} sheets, more than the limit of {max_sheets}; it was refused and no data was "
        "changed."),
    "ingest.err.too_many_sheets.fix": ("删除无关的工作表（右键工作表标签→删除），只保留报送表后重新上传。",
                                       "Delete the unrelated sheets (right-click the sheet tab → Delete), keep the "
                                       "report sheet and upload again."),
    "ingest.err.merged_too_large": (
        "工作表“{sheet}”的合并单元格共覆盖 {cells} 个单元格，超过上限 {max_cells} 个，已拒收，数据没有任何改动。",
        "The merged cells of sheet “{sheet}” cover {cells} cells, more than the limit of {max_cells}; the file "
        "was refused and no data was changed."),
    "ingest.err.merged_too_large.fix": (
        "选中整张工作表，点“合并后居中”旁的箭头→“取消单元格合并”，只在表头处重新合并，再保存上传。",
        "Select the whole sheet, choose Merge → Unmerge cells, merge again only in the header, save and upload."),
}
