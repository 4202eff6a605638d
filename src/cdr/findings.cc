// The words for each finding kind, for notices, reports and the console.
#include <array>

#include "cdr/cdr.h"

namespace sanso::cdr {
namespace {

struct Description {
  const char* kind;
  const char* ja;
  const char* en;
};

constexpr Description kDescriptions[] = {
    {"vba_macro", "VBA マクロ", "VBA macro project"},
    {"excel4_macro", "Excel 4.0 マクロシート", "Excel 4.0 macro sheet"},
    {"activex", "ActiveX コントロール", "ActiveX control"},
    {"ole_object", "埋め込み OLE オブジェクト", "embedded OLE object or package"},
    {"external_relationship", "外部への参照", "reference to an external resource"},
    {"external_template", "外部テンプレートの参照", "remote template reference"},
    {"external_link", "外部ブックへのリンク・DDE リンク", "link to an external workbook or DDE link"},
    {"external_formula", "外部参照の数式（値は残します）", "formula referring to another workbook (value kept)"},
    {"dde_field", "DDE フィールド", "DDE field"},
    {"remote_field", "外部の内容を取り込むフィールド", "field that includes external content"},
    {"custom_ui", "リボンのカスタマイズ（マクロ呼び出し）", "custom ribbon UI with macro callbacks"},
    {"data_connection", "外部データ接続", "external data connection"},
    {"query_table", "Web クエリ・クエリテーブル", "query table"},
    {"digital_signature", "デジタル署名（内容変更により無効になるため削除）", "digital signature (invalid after rebuilding)"},
    {"hyperlink", "ハイパーリンク（文字は残します）", "hyperlink (text kept)"},
    {"relationship", "削除した部品への参照", "reference to a removed part"},
    {"macro_enabled_type", "マクロ有効形式をマクロなしの形式に変換", "macro-enabled type converted to the macro-free type"},
    {"xml_dtd", "XML の DTD 宣言（エンティティ展開攻撃）", "XML DTD (entity expansion)"},
    {"orphan_part", "どこからも参照されていない部品", "package part no relationship or manifest entry accounts for"},
    {"part_type_mismatch", "宣言された種類と中身が一致しない部品", "part whose content is not its declared type"},
    {"unsupported_part", "中身を確かめられない部品（画像でもXMLでもないもの）", "package part whose content cannot be checked (neither a picture nor XML)"},
    {"missing_part", "存在しない部品への参照", "relationship to a part that does not exist"},
    {"unknown_relationship", "許可されていない種類の部品・参照", "part or relationship of a type not allowed"},
    {"misplaced_relationship", "その部品からは許可されていない種類の参照", "relationship of a type this kind of part may not hold"},
    {"unknown_xml", "未知の名前空間の XML 要素・属性", "XML elements or attributes in unknown namespaces"},
    {"alt_chunk", "文書に取り込まれる別ファイル (altChunk)", "imported document chunk (altChunk)"},
    {"mail_merge", "差し込み印刷のデータ接続", "mail-merge data source"},
    {"web_extension", "Office アドイン（Web 拡張）", "Office add-in (web extension)"},
    {"embedded_font", "埋め込みフォント", "embedded font"},
    {"custom_xml", "カスタム XML データ", "custom XML data"},
    {"printer_settings", "プリンター設定", "printer settings"},
    {"media", "音声・動画", "audio or video"},
    {"sub_document", "サブ文書・フレームの参照", "subdocument or frame reference"},
    {"field", "許可されていないフィールド（結果の文字は残します）", "field of a type not allowed (result text kept)"},
    {"computed_field", "他のフィールドで組み立てられるフィールド（結果の文字は残します）", "field whose instruction is built by nested fields (result text kept)"},
    {"ppaction", "プログラム・マクロを起動する動作設定", "PowerPoint action that runs a program or macro"},
    {"pdf_javascript", "PDF の JavaScript", "PDF JavaScript"},
    {"pdf_open_action", "PDF を開いたときの自動動作", "PDF open action"},
    {"pdf_additional_actions", "PDF の自動実行トリガー (/AA)", "PDF additional-action triggers (/AA)"},
    {"pdf_launch", "PDF からのプログラム起動", "PDF launch action"},
    {"pdf_submit_form", "PDF フォームの外部送信", "PDF form submission"},
    {"pdf_import_data", "PDF フォームへのデータ取り込み", "PDF data import"},
    {"pdf_remote_goto", "他のファイルを開く PDF リンク", "PDF link to another file"},
    {"pdf_embedded_goto", "埋め込みファイルへの PDF リンク", "PDF link into an embedded file"},
    {"pdf_rich_media", "PDF のマルチメディア", "PDF rich media"},
    {"pdf_3d", "PDF の 3D コンテンツ", "PDF 3D content"},
    {"pdf_xfa", "PDF の XFA フォーム", "PDF XFA form"},
    {"pdf_embedded_file", "PDF の埋め込みファイル", "PDF embedded file"},
    {"pdf_file_attachment", "PDF の添付ファイル注釈", "PDF file-attachment annotation"},
    {"pdf_uri", "PDF の URL リンク", "PDF URI link"},
    {"pdf_associated_file", "PDF 2.0 の関連ファイル (/AF)", "PDF 2.0 associated file (/AF)"},
    {"pdf_named_action", "PDF のメニュー操作（頁の移動以外）", "PDF named action other than a page move"},
    {"pdf_unknown_action", "PDF の未知の種類の動作", "PDF action of an unknown type"},
    {"pdf_name_tree", "PDF の未知の名前ツリー", "PDF name tree of an unknown kind"},
    {"pdf_external_stream", "外部ファイルから読むストリーム", "PDF stream read from an external file"},
    {"pdf_encryption_removed", "空パスワードの PDF 暗号化を解除", "PDF encryption with an empty password removed"},
    {"rtf_object", "RTF の埋め込みオブジェクト", "RTF embedded object"},
    {"rtf_field", "不明または動的な RTF フィールド（結果の文字は残します）", "RTF field the engine does not know as harmless (its result text kept)"},
    {"odf_macro", "Basic マクロ", "Basic macro library"},
    {"odf_script", "スクリプト・イベント", "script or event listener"},
    {"odf_object", "埋め込みオブジェクト", "embedded object"},
    {"image_metadata", "画像のメタデータ（撮影情報など）", "image metadata (EXIF, XMP, IPTC)"},
    {"icc_profile", "画像の色プロファイル（ICC、色は sRGB に変換）", "image colour profile (ICC; colours converted to sRGB)"},
    {"trailing_data", "ファイル末尾の余分なデータ", "data after the end of the file"},
    {"image_converted", "画像を別の形式に変換", "image converted to another format"},
    {"svg_rasterized", "SVG を画像 (PNG) に変換", "SVG rendered as PNG"},
    {"legacy_converted", "旧形式の Office 文書を新形式 (OOXML) に変換", "legacy Office file converted to OOXML"},
    {"rasterized", "ページを画像化した PDF に変換（最も厳格な無害化）", "pages rendered as images in a new PDF (the strictest mode)"},
    {"html_converted", "HTML をテキストに変換", "HTML converted to text"},
    {"formula_injection", "数式として実行されるセル（先頭に ' を付けました）", "cells a spreadsheet would run as formulas (prefixed with ')"},
    {"nul_bytes", "NUL 文字", "NUL characters"},
    {"charset_converted", "文字コードを UTF-8 に変換", "text converted to UTF-8"},
    {"undecodable_bytes", "読めないバイト（〓ではなく U+FFFD に置換）", "undecodable bytes (replaced with U+FFFD)"},
    {"unsafe_path", "危険なファイルパス（修正しました）", "unsafe member path (corrected)"},
    {"archive_link", "アーカイブ内のリンク・特殊ファイル", "link or special file in an archive"},
    {"archive_converted", "アーカイブを zip に作り直し", "archive rebuilt as zip"},
    {"encrypted", "パスワード付き（暗号化）ファイル", "password-protected (encrypted) file"},
    {"executable", "実行ファイル・スクリプト", "program or script"},
    {"unknown_type", "種類を判別できないファイル", "file of unknown type"},
    {"extension_mismatch", "拡張子と中身が一致しないファイル", "file whose extension contradicts its content"},
    {"extension_not_allowed", "ポリシーで受け渡しを認めていない種類（拡張子）のファイル", "file type (extension) the policy does not deliver"},
    {"windows_name", "Windows が無視する名前の末尾（点・空白・ストリーム指定）を除去", "trailing dots, spaces or NTFS stream suffix Windows ignores removed from the name"},
    {"active_content", "除去できない有害な可能性のある内容", "active content that cannot be removed"},
    {"unsupported", "無害化に対応していない形式", "format the engine does not rebuild"},
    {"deceptive_name", "拡張子を偽装するファイル名", "file name disguising its extension"},
    {"limit", "上限を超えるファイル（圧縮爆弾など）", "file beyond a limit (e.g. a decompression bomb)"},
    {"malformed", "壊れているか解析できないファイル", "damaged or unparseable file"},
    {"sandbox_violation", "解析中に禁止された動作（サンドボックス違反）", "forbidden action during parsing (sandbox violation)"},
    {"timeout", "解析が時間内に終わらないファイル", "parsing did not finish in time"},
    {"internal", "内部エラー（安全のため止めました）", "internal error (held to be safe)"},
    {"virus", "ウイルス検知", "virus detected"},
    {"policy", "ポリシーで認められていない受け渡し", "a transfer the policy does not allow"},
};

}  // namespace

std::string finding_kind_of(std::string_view reason) {
  std::string kind(reason);
  for (char& c : kind) c = c == '-' ? '_' : c;
  return kind;
}

std::string describe(std::string_view kind, std::string_view lang) {
  for (const auto& d : kDescriptions) {
    if (kind == d.kind) return lang == "ja" ? d.ja : d.en;
  }
  return std::string(kind);
}

}  // namespace sanso::cdr
