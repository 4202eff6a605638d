// PDF with qpdf: every object of the current revision is visited (object streams and incremental
// updates are resolved by qpdf, hex-escaped names such as /J#61vaScript are normalised by its
// parser); actions that run code, launch programs, submit or import data or open other files are
// removed with the triggers that reach them (/OpenAction, /AA, /A, /Next), as are JavaScript and
// embedded files in the name trees, XFA forms, file-attachment and rich-media annotations. The
// file is written again from the reachable objects only, so earlier revisions and orphaned
// objects are gone. Streams pass through without being decoded, so a compression bomb is never
// expanded here.
#define POINTERHOLDER_TRANSITION 4  // qpdf 11: std::shared_ptr everywhere
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFWriter.hh>

#include <set>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal {
namespace {

std::string where_of(QPDFObjectHandle& h) {
  return h.isIndirect() ? "object " + std::to_string(h.getObjectID()) : "inline object";
}

// The finding kind of an action dictionary that must go, or "".
std::string dangerous_action(QPDFObjectHandle action, const CdrPolicy& policy) {
  if (!action.isDictionary()) return "";
  QPDFObjectHandle s = action.getKey("/S");
  if (action.hasKey("/JS")) return "pdf_javascript";
  if (!s.isName()) return "";
  std::string name = s.getName();
  if (name == "/JavaScript") return "pdf_javascript";
  if (name == "/Launch") return "pdf_launch";
  if (name == "/SubmitForm") return "pdf_submit_form";
  if (name == "/ImportData") return "pdf_import_data";
  if (name == "/GoToR") return "pdf_remote_goto";
  if (name == "/GoToE") return "pdf_embedded_goto";
  if (name == "/RichMediaExecute") return "pdf_rich_media";
  if (name == "/GoTo3DView") return "pdf_3d";
  if (name == "/Rendition" || name == "/Movie" || name == "/Sound") return "pdf_rich_media";
  if (name == "/URI") {
    if (policy.remove_pdf_uri) return "pdf_uri";
    QPDFObjectHandle uri = action.getKey("/URI");
    std::string u = uri.isString() ? uri.getUTF8Value() : "";
    std::string l;
    for (char c : u.substr(0, 16)) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0 && l.rfind("mailto:", 0) != 0) return "pdf_uri";
  }
  return "";
}

class PdfDisarmer {
 public:
  PdfDisarmer(QPDF& pdf, const Context& ctx) : pdf_(pdf), ctx_(ctx) {}

  void run() {
    QPDFObjectHandle root = pdf_.getRoot();
    strip_key(root, "/OpenAction", "pdf_open_action", "catalog");
    if (root.hasKey("/Names")) {
      QPDFObjectHandle names = root.getKey("/Names");
      if (names.isDictionary()) {
        strip_key(names, "/JavaScript", "pdf_javascript", "catalog /Names");
        strip_key(names, "/EmbeddedFiles", "pdf_embedded_file", "catalog /Names");
      }
    }
    if (root.hasKey("/AcroForm")) {
      QPDFObjectHandle form = root.getKey("/AcroForm");
      if (form.isDictionary()) strip_key(form, "/XFA", "pdf_xfa", "catalog /AcroForm");
    }
    strip_key(root, "/Collection", "pdf_embedded_file", "catalog");  // portfolios
    // Triggers first, while every action still shows what it is; then the actions themselves.
    std::vector<QPDFObjectHandle> all = pdf_.getAllObjects();
    for (QPDFObjectHandle& obj : all) walk(obj, [this](QPDFObjectHandle h) { visit(h); });
    for (QPDFObjectHandle& obj : all) walk(obj, [this](QPDFObjectHandle h) { neutralise_action(h); });
  }

 private:
  void strip_key(QPDFObjectHandle dict, const std::string& key, const std::string& kind, const std::string& where) {
    if (dict.isDictionary() && dict.hasKey(key)) {
      dict.removeKey(key);
      ctx_.add(kind, where + " " + key, "removed");
    }
  }

  // Calls `f` on an indirect object and on every direct dictionary inside it (an annotation's
  // inline /A, an action's inline /Next), depth-first.
  template <typename F>
  void walk(QPDFObjectHandle obj, const F& f, int depth = 0) {
    if (depth > 64) return;
    f(obj);
    QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
    auto child = [&](QPDFObjectHandle v) {
      if (!v.isIndirect() && (v.isDictionary() || v.isArray())) walk(v, f, depth + 1);
    };
    if (dict.isDictionary()) {
      for (const std::string& k : dict.getKeys()) child(dict.getKey(k));
    } else if (dict.isArray()) {
      for (int i = 0; i < dict.getArrayNItems(); ++i) child(dict.getArrayItem(i));
    }
  }

  void visit(QPDFObjectHandle obj) {
    QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
    if (!dict.isDictionary()) return;
    std::string where = where_of(obj);
    strip_key(dict, "/AA", "pdf_additional_actions", where);
    if (dict.hasKey("/A") && !dangerous_action(dict.getKey("/A"), ctx_.policy).empty()) {
      ctx_.add(dangerous_action(dict.getKey("/A"), ctx_.policy), where + " /A", "removed");
      dict.removeKey("/A");
    }
    if (dict.hasKey("/Next")) {
      QPDFObjectHandle next = dict.getKey("/Next");
      std::string kind = dangerous_action(next, ctx_.policy);
      if (next.isArray()) {
        for (int i = 0; i < next.getArrayNItems() && kind.empty(); ++i) kind = dangerous_action(next.getArrayItem(i), ctx_.policy);
      }
      if (!kind.empty()) {
        ctx_.add(kind, where + " /Next", "removed");
        dict.removeKey("/Next");
      }
    }
    // Annotations that carry files, media or 3D leave the page.
    if (dict.hasKey("/Annots")) {
      QPDFObjectHandle annots = dict.getKey("/Annots");
      if (annots.isArray()) {
        for (int i = annots.getArrayNItems() - 1; i >= 0; --i) {
          QPDFObjectHandle a = annots.getArrayItem(i);
          if (!a.isDictionary()) continue;
          QPDFObjectHandle sub = a.getKey("/Subtype");
          if (!sub.isName()) continue;
          std::string st = sub.getName();
          std::string kind = st == "/FileAttachment" ? "pdf_file_attachment"
                             : (st == "/RichMedia" || st == "/Movie" || st == "/Sound" || st == "/Screen") ? "pdf_rich_media"
                             : st == "/3D"                                                                  ? "pdf_3d"
                                                                                                            : "";
          if (!kind.empty()) {
            ctx_.add(kind, where_of(a), "removed");
            annots.eraseItem(i);
          }
        }
      }
    }
    QPDFObjectHandle type = dict.getKey("/Type");
    if (type.isName() && type.getName() == "/EmbeddedFile" && obj.isStream()) {
      // Unreachable once the name tree and annotations are gone; emptied in case a field still
      // points at it.
      obj.replaceStreamData("", QPDFObjectHandle::newNull(), QPDFObjectHandle::newNull());
    }
  }

  // An action still referenced from somewhere we did not cut (a name tree, a field) becomes a
  // named action no viewer knows, which viewers ignore.
  void neutralise_action(QPDFObjectHandle obj) {
    QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
    std::string kind = dangerous_action(dict, ctx_.policy);
    if (kind.empty()) return;
    for (const std::string& k : dict.getKeys()) {
      if (k != "/Type") dict.removeKey(k);
    }
    dict.replaceKey("/S", QPDFObjectHandle::newName("/Named"));
    dict.replaceKey("/N", QPDFObjectHandle::newName("/SansoRemoved"));
    ctx_.add(kind, where_of(obj), "neutralised");
  }

  QPDF& pdf_;
  const Context& ctx_;
};

}  // namespace

Result<Rebuilt> sanitize_pdf(std::string_view bytes, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("document") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  QPDF pdf;
  pdf.setSuppressWarnings(true);
  try {
    pdf.processMemoryFile(where.c_str(), bytes.data(), bytes.size(), "");
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return blocked("encrypted", where, "the PDF needs a password to open");
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.what());
  }
  try {
    if (pdf.isEncrypted()) ctx.add("pdf_encryption_removed", "trailer /Encrypt", "removed");
    PdfDisarmer(pdf, ctx).run();
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setPreserveEncryption(false);
    writer.setDecodeLevel(qpdf_dl_none);
    writer.setObjectStreamMode(qpdf_o_preserve);
    writer.setDeterministicID(true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    return Rebuilt{std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize()), "pdf"};
  } catch (const QPDFExc& e) {
    return blocked("malformed", where, std::string("the PDF cannot be rebuilt: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", where, std::string("the PDF cannot be rebuilt: ") + e.what());
  }
}

}  // namespace sanso::cdr::internal
