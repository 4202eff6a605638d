// The outgoing check of spreadsheets as Excel shows them (review30 C1, C2, H4): an .xlsx roster's
// cells, shared strings and page headers each read on their own, not run together with the
// shared-string indexes between them; numbers Excel shows but the sheet's XML does not spell (E
// notation, leading zeros a format restores, formula literals joined); and formulas whose result
// is computed only when the file is opened, held as not checked.
#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "mail/outbound.h"
#include "support/zip_of.h"

namespace sanso::mail {
namespace {

const std::vector<std::string> kLevels = {"1", "2", "3C", "3B", "3A"};

std::string with_attachment(const std::string& name, const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out =
      "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" +
      name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
  g_free(b64);
  return out;
}

std::string described(const OutboundScan& s) {
  std::string out = "error=" + s.error + " class=" + s.classification + "; ids:";
  for (const auto& f : s.identifiers) out += " [" + f.masked + " @ " + f.where + "]";
  out += "; unchecked:";
  for (const auto& f : s.unchecked) out += " [" + f.where + ": " + f.why + "]";
  return out;
}

// Whether the scan found the number whose masked form is `masked`.
bool found(const OutboundScan& s, const std::string& masked) {
  return std::any_of(s.identifiers.begin(), s.identifiers.end(), [&](const OutboundFinding& f) { return f.masked == masked; });
}

const std::string kSpreadsheetMl = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

// A workbook of one sheet (its <sheetData> rows, or anything else in <worksheet> when `sheet_data`
// closes and reopens it), with a styles part and shared strings; `calc` in the workbook part.
std::string xlsx(const std::string& sheet_data, const std::string& styles, const std::vector<std::string>& strings = {}, const std::string& calc = "") {
  std::string sst = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"" + kSpreadsheetMl + "\">";
  for (const auto& t : strings) sst += "<si><t>" + t + "</t></si>";
  sst += "</sst>";
  const std::string types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
      "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
      "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>";
  const std::string rels =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
  const std::string workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"" + kSpreadsheetMl +
                               "\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets>" + calc + "</workbook>";
  const std::string sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"" + kSpreadsheetMl + "\"><sheetData>" + sheet_data + "</sheetData></worksheet>";
  return sanso::testing::zip_of({{"[Content_Types].xml", types},
                                 {"_rels/.rels", rels},
                                 {"xl/workbook.xml", workbook},
                                 {"xl/worksheets/sheet1.xml", sheet},
                                 {"xl/styles.xml", styles},
                                 {"xl/sharedStrings.xml", sst}});
}

const std::string kPlainStyles = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><styleSheet xmlns=\"" + kSpreadsheetMl +
                                 "\"><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"1\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>";

// Style 1 with the number format `code` (as it stands in the XML attribute).
std::string styles_with(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><styleSheet xmlns=\"" + kSpreadsheetMl + "\"><numFmts count=\"1\"><numFmt numFmtId=\"176\" formatCode=\"" + code +
         "\"/></numFmts><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"176\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>";
}

// `soffice --headless --convert-to xlsx meibo.csv` of "氏名,個人番号,電話 / 山田太郎,123456789018,0312345678 /
// 佐藤花子,234567890121,0398765432" (review30): 山田太郎 is shared string 3, the number a numeric cell,
// the telephone number another. Read as one run, row 2 was "3" + "123456789018" + "312345678".
const std::string kLibreOfficeRoster =
    "UEsDBBQACAgIAE+rh10AAAAAAAAAAAAAAAALAAAAX3JlbHMvLnJlbHOtks9qwzAMh+99CqN747SFMUacXsqgtzK6B9BsJTGJ/2BrW/b2M2OwdZSwwY6Wf/r0"
    "IdTsZzeJF0rZBq9gU9UgyOtgrO8VPJ7v17ewb1fNA03IJZIHG7MoPT4rGJjjnZRZD+QwVyGSLz9dSA65PFMvI+oRe5Lbur6R6TsD2gumOBoF6Wg2IM5vkX7D"
    "Dl1nNR2Cfnbk+cqIH4lCxtQTK5gn+RrS+BTCWBUoyOsu27+6mAUXR4wGGaUOidYxFUhiS/nLqnSfSjl/JJa8dv+5I5qZvCGzrIQxfhqtGnlxC+07UEsHCGu/"
    "dgTfAAAAQgIAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAADwAAAHhsL3dvcmtib29rLnhtbI1T227bMAx931cYek98SeulQZwic2q0wC5F07XPsk3HWmTJ"
    "kJhbh/17aTnuOmwPe7AlktLhIXk0vz420tuDsUKrhIXjgHmgCl0KtUnY98dsNGWeRa5KLrWChJ3AsuvFh/lBm22u9daj+8omrEZsZ75vixoabse6BUWRSpuG"
    "I5lm49vWAC9tDYCN9KMgiP2GC8V6hJn5HwxdVaKAlS52DSjsQQxIjsTe1qK1bDGvhISnviCPt+1X3hDtlMuC+Ys32vfGy3mx3bUZnU5YxaUFKrTWh2/5DyiQ"
    "KuJSMq/kCKluWsqQCynwNJz9A0sjXaF85OwcTwIO9ne8Mx30rTbiRSvkcl0YLWXC0OzOaYkxiuJfkXXXsUee28F5fBaq1IeE0axO7/YHt30WJdY0yXgyvRh8"
    "tyA2NSZsGl5FzEOeP3QdS1gc0LVKGIsuiUPhVMkeKF9nUUH+u4rc8IbVU66zDYhcd0zJdVdSYqcXpMheWJFLImxmggLmrowc4IBC1RY0B4FgXJd3ihiEHSUD"
    "1RddEsSS0M7xtyGd7RVI5MRxHARhBwtH/GzRrWdFSU37v1QlRW6g15GTFPN2RiTs58c4itNpHI2iZTgZheHN5ejT5OJylN1kGfUtXaVX2S+Sl0Od0Zf29C0a"
    "eisPUK1PNNljL7Wlo+TTqf7vmPmDIBavUEsHCLTPaxn9AQAAdgMAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAADQAAAHhsL3N0eWxlcy54bWztWF1vmzAU"
    "fd+vsPy+QmiSthOh6lJl2iZN1ZJOk6Y9uGDAqz+Q7bShv742JgSSNtOySUukPNm+vuf4cHwtDOHlglHwgKUigo9g78SHAPNYJIRnI3g7m7w9h0BpxBNEBccj"
    "WGIFL6M3odIlxdMcYw0MA1cjmGtdvPM8FeeYIXUiCszNTCokQ9oMZeapQmKUKAti1At8f+gxRDiMQj5nE6YViMWcayOjCQHXfExMcNiHwNGNRWKkfMAcS0Sh"
    "F4VeTRCFqeArngF0gShUT+ABUUPi23SOGHbja/wLfZuDKeLKTqSIEVq6qaAidvDtJFeSOBltuH8g8C9Ci+r5wfjTZzAdb7OhaqzJhNLG5AC6QBQWSGss+cQM"
    "QN2flYXZKW5Kx9FUeb/JziQqe8GgBagas+6dkIkp1XaZuBBICMoER/S2GMEUUYVhE7oWj3wZjEKKU22IJcly22pReJZEa8FMZ4mxSzvmpmOWjzGlU1v339PV"
    "0/uGdJFu1imvBuY4We111zHVA1QUtJwIS6LlHNeB91VKJ3RFScYZXku8kULjWFfHtgpHIVomglxI8mSo7QZm9TGxp1yT2Ibc80Kg8UJ/FRo5FqPpUaJiZoKN"
    "iYQn1cJmTuWS8PuZmJBm2thUNDIAFfE9TpYic5IYaCvTW6RrTvkrn3q7+lTrXDeqHW47tSyDwxETHMW8Imbns3UUcxRzFHMUcxSzi5j+6T69Kfu9vVLT3ys1"
    "wT6pufjPYrz29d1d5tv3+F2v8Yt0U3lbz19KP7Q7fce2/p/Z9u82/ABc8+oCbH1WNsU4hK0osN/q9jtdMqu9Me5uTqgm3I28TcBYMIaW+b1BB3D6KgD88H82"
    "oGEHNHwRNJcS87hsMGcdTH8bprPWeQd39hLuBsvY7EEDuehA3A+DlZlmsPpJFT0DUEsHCDwSw+qtAgAA6RIAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAA"
    "GAAAAHhsL3dvcmtzaGVldHMvc2hlZXQxLnhtbL1WTXPbNhC991dweMipEb8kS3IoZRy5ajrjRJ7KSWZ6g0hQRA0CDABKln99FwC/LGo6bicTHURisXy77y2A"
    "Rfz+qaDOAQtJOFu4wch3HcwSnhK2X7hfHtZvZ64jFWIpopzhhXvC0n2//CU+cvEoc4yVAwBMLtxcqfLa82SS4wLJES8xg5mMiwIpGIq9J0uBUWo+KqgX+v6V"
    "VyDCXItwLV6DwbOMJPiWJ1WBmbIgAlOkIH2Zk1I2aE/pq/BSgY5Atcmnl+KtnWnxgvEAryCJ4JJnapTwok5tyHLuzV/wfBLh/0MKJkD1QHSlwgasSF7DskDi"
    "sSrfAnYJSu0IJepkCLvL2ODfCycjVGHxiadQ5AxRiWGuRHu8xepLaebVA78HQzPtLWOv/ngZpwTqoTNzBM4W7k1wvYq0h3H4SvBR9t4dmfPjGvKrKJINnDH+"
    "Lkh6RxgGqxJVbfyTH1ecfgQtYJn2J/7CIFpjEGSfQ4Z3OFMtpEK7LaY4UTjtf7epFIUg21Ox47QFSHGGKqp0ChCOi8Z+gIwXLtNyUoDkpQ6xwpRqmq6TaN8/"
    "AP9q7DrPnBfbBFEQKfD93viz+fzcquW8QydeGVkAAib1xtpx/qgtGtbXNTIktLol0puwTsJ1EFgPuEumG9tPHfm9rkdXLg3cf28qszYLBipdCwEifCOpynXS"
    "I38W+lEQTlqZoCgfsZYcpsMRHBLPUIzGUsvPrc53+IAp+JuE+jaIYPl5LxJYxqCpNP9aXYpKqetXgyaVVLyoM7MVykmaYnYxrIlZoCfIEp6EmadUJ10hLbaF"
    "mY6mWp8fGzCsA4YXAgbRCDbfDw8Z1SGjSyH9UTA2q8Cqaw85pNAyFvzoCKOMDWwL0cbqanyWhPX+l6Kb+AN6wFqH0+tVmqjwsQTrYenH3kEnWHt8GHoELz1W"
    "Q4+w9fCAV0su/MnkwkFi0Rk56+EbD2bJhdF4cjWdzf1gdsZz6Bw13pf5Rj+ZbzTgOz7jGw0odHTD87oOnaP5bHo1GUfn9fV6C7kUhKlNaS4DTg4NAxp412D2"
    "XXM5t0CTazcaF+SZM4XoCm4YWPS2JVyTFEmGE57tlJ+Q2BMITE0L8kfT2XRS96VuCEe3uWZNwmn7g2LsuAL1L83kpu91ABnnqjf22i5dldAdSiy25Bk2/hwE"
    "7DUi072b47wetue362iIjTBxUn5kDzlmG2ALC0AQIGuuVwu35EIJRKDv7ChKHm9Y+i0nqr0QOHCZ6jXfBLrQihf6niZ1/2RYxxVS6a73uSp22J45lcTrc/N5"
    "KW5LAktaE2lq0FkSXhJs1h5oYdVaG42clGQZ1Ikpg9+l2Zg3afrbodsCy5inqb1mLN+gony3Mv9vvldcvbvFf6OvlbPFgmS/foD+bM3GIwjN4yb2OgCNZdP4"
    "r1haB8e83xvAGiX2+txg2N7Al/8AUEsHCIgSE8gxBAAAxQsAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAAGgAAAHhsL19yZWxzL3dvcmtib29rLnhtbC5y"
    "ZWxzrZFNa8MwDIbv/RVG98VJB2OMOL2MQa/9+AHGUeLQxDaS1rX/fi4bWwpl7NCT0Nfzvkj16jSN6ojEQwwGqqIEhcHFdgi9gf3u7eEZVs2i3uBoJY+wHxKr"
    "vBPYgBdJL1qz8zhZLmLCkDtdpMlKTqnXybqD7VEvy/JJ05wBzRVTrVsDtG4rULtzwv+wY9cNDl+je58wyA0JzXIekTPRUo9i4CsvMgf0bfnlPeU/Ih3YI8qv"
    "g59SNncJ1V9mHu96C28J261Qfuz8JPPyt5lFra/e3XwCUEsHCE/w+XrSAAAAJQIAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAAFAAAAHhsL3NoYXJlZFN0"
    "cmluZ3MueG1sjZDBSsNAGITvPsXy3+1GQZGy2R4En0AfYEl+m4VkN+6/KXoTvCnaHBQPXnuxIDQnodK3aWz6Fq6CeJMch5lvBkaMLoucTdCRtiaGvUEEDE1i"
    "U23GMZydnuweASOvTKpyazCGKyQYyR1B5FlADcWQeV8OOackw0LRwJZognNuXaF8kG7MqXSoUsoQfZHz/Sg65IXSBlhiK+NjOABWGX1R4fGvloK0FD8TQypV"
    "EpZDB6GbIMjPxbSt7wX3UvDv2D/R9vpuvVxunubt9L0XsH356F6bft1Ns3lctLP59uahF7Be1d3zrLtt2rf6D+DhSvkFUEsHCAfjupfwAAAAiAEAAFBLAwQU"
    "AAgICABPq4ddAAAAAAAAAAAAAAAAEQAAAGRvY1Byb3BzL2NvcmUueG1sbZHNTsMwEITvPEXke+IEJISiJJU4cKISUqnE1djb1MV/srdN+/Y4CTVF5LYz+3ls"
    "7zars1bZCXyQ1rSkKkqSgeFWSNO3ZPv+kj+RLCAzgilroCUXCGTV3TXc1dx6ePPWgUcJIYtBJtTctWSP6GpKA9+DZqGIhInNnfWaYZS+p47xL9YDvS/LR6oB"
    "mWDI6BiYu5RIfiIFT5Hu6NUUIDgFBRoMBloVFf1lEbwOiwemzg2pJV4cLKLXZqLPQSZwGIZieJjQ+P6KfqxfN9NXc2nGUXEgXSN4zT0wtL5r6K2ItYDAvXQY"
    "Rz43/xhRK2b6Y5xPBybfbiYkWePkFQu4jjvaSRDPl5ix4EXLw0mOe+3KiUhyvCIcPw/Acb4/iVijRAWzfS3/7br7BlBLBwgty4yUJwEAADcCAABQSwMEFAAI"
    "CAgAT6uHXQAAAAAAAAAAAAAAABAAAABkb2NQcm9wcy9hcHAueG1snZBNb8IwDIbv+xVVxLVJqbqCUBq0adoJaTt0aLcqS13IlC8lKSr/fgE04IxP9mvrsf3S"
    "9aRVdgAfpDUNmuMCZWCE7aXZNeirfc+XKAuRm54ra6BBRwhozZ7op7cOfJQQskQwoUH7GN2KkCD2oHnAqW1SZ7Be85hKvyN2GKSANytGDSaSsihqAlME00Of"
    "uysQXYirQ3wU2ltxui9s26NLPEZb0E7xCIySW9rayFUrNbAiydeCvjinpOAxOcI28sfDx3kFWeAKL3A520gzTt33su7qKrsb6NILvyAiqYrZ6yhVn5eU3MNO"
    "5O3FajZ/xkWK88C/RsnNVfYHUEsHCEXR25L5AAAAmgEAAFBLAwQUAAgICABPq4ddAAAAAAAAAAAAAAAAEwAAAFtDb250ZW50X1R5cGVzXS54bWy9VDtPwzAQ"
    "3vsrIq8odsuAEEragccIlSgzMvElMY0fst3S/nvOKVRVCSmIiMmy776XT3Y226gmWYPz0uicTOiYJKALI6SucvK0uEsvyWw6yhZbCz7BXu1zUodgrxjzRQ2K"
    "e2osaKyUxikecOsqZnmx5BWw8/H4ghVGB9AhDZGDTLMbKPmqCcntBo93uggnyfWuL0rlhFvbyIIHLLNYZZ04B43vAa61OHKXfjijiGx7fC2tP/tewerqSECq"
    "mCyedyNeLXRD2gJiHvC6nRSQzLkL91xhA3uOSRgdOE+X0qZhb8YtX4xZ0v5r71AzZSkLEKZYKYRQbx1w4WuAoBrarlRxqU/o+7BtwA+t3pL+IHkL8KxdJgOb"
    "2POf8LEb9+Ec/mn0vuYOxGNw+L4Hn8Ahd58PxM+dsR5/Bge/N/GZO6JTi0Tgguwf/V4Rqf+cGuJbFyC+ao8y1n6U03dQSwcIj/blNlkBAABXBQAAUEsBAhQA"
    "FAAICAgAT6uHXWu/dgTfAAAAQgIAAAsAAAAAAAAAAAAAAAAAAAAAAF9yZWxzLy5yZWxzUEsBAhQAFAAICAgAT6uHXbTPaxn9AQAAdgMAAA8AAAAAAAAAAAAA"
    "AAAAGAEAAHhsL3dvcmtib29rLnhtbFBLAQIUABQACAgIAE+rh108EsPqrQIAAOkSAAANAAAAAAAAAAAAAAAAAFIDAAB4bC9zdHlsZXMueG1sUEsBAhQAFAAI"
    "CAgAT6uHXYgSE8gxBAAAxQsAABgAAAAAAAAAAAAAAAAAOgYAAHhsL3dvcmtzaGVldHMvc2hlZXQxLnhtbFBLAQIUABQACAgIAE+rh11P8Pl60gAAACUCAAAa"
    "AAAAAAAAAAAAAAAAALEKAAB4bC9fcmVscy93b3JrYm9vay54bWwucmVsc1BLAQIUABQACAgIAE+rh10H47qX8AAAAIgBAAAUAAAAAAAAAAAAAAAAAMsLAAB4"
    "bC9zaGFyZWRTdHJpbmdzLnhtbFBLAQIUABQACAgIAE+rh10ty4yUJwEAADcCAAARAAAAAAAAAAAAAAAAAP0MAABkb2NQcm9wcy9jb3JlLnhtbFBLAQIUABQA"
    "CAgIAE+rh11F0duS+QAAAJoBAAAQAAAAAAAAAAAAAAAAAGMOAABkb2NQcm9wcy9hcHAueG1sUEsBAhQAFAAICAgAT6uHXY/25TZZAQAAVwUAABMAAAAAAAAA"
    "AAAAAAAAmg8AAFtDb250ZW50X1R5cGVzXS54bWxQSwUGAAAAAAkACQA/AgAANBEAAAAA";

TEST(OutboundSpreadsheet, ARosterAsLibreOfficeWritesItHasItsNumbersFound) {
  gsize n = 0;
  guchar* bytes = g_base64_decode(kLibreOfficeRoster.c_str(), &n);
  const std::string file(reinterpret_cast<const char*>(bytes), n);
  g_free(bytes);
  const auto s = scan_outbound(with_attachment("meibo.xlsx", file), kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
  EXPECT_TRUE(found(s, "********0121")) << described(s);
}

// A name (a shared string: its index is the cell's <v>) and the number typed in the next cell.
TEST(OutboundSpreadsheet, ANumberCellAfterASharedStringIsReadWithoutTheIndex) {
  const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
                                                                  "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\"><v>123456789018</v></c></row>",
                                                                  kPlainStyles, {"氏名", "個人番号", "山田太郎"})),
                               kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
}

// A column of numbers kept as text, and a number beside a telephone number: each shared string
// on its own.
TEST(OutboundSpreadsheet, SharedStringsAreReadEachOnItsOwn) {
  const auto column = scan_outbound(
      with_attachment("list.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row><row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c></row>"
                                        "<row r=\"3\"><c r=\"A3\" t=\"s\"><v>2</v></c></row>",
                                        kPlainStyles, {"123456789018", "234567890121", "345678901234"})),
      kLevels);
  EXPECT_TRUE(found(column, "********9018")) << described(column);
  EXPECT_TRUE(found(column, "********0121")) << described(column);
  const auto beside = scan_outbound(with_attachment("list.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>",
                                                                     kPlainStyles, {"123456789018", "0312345678"})),
                                    kLevels);
  EXPECT_TRUE(found(beside, "********9018")) << described(beside);
}

TEST(OutboundSpreadsheet, TheCellsOfARowAreReadEachOnItsOwn) {
  const auto s = scan_outbound(
      with_attachment("list.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>2</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>123456789018</t></is></c></row>",
                                        kPlainStyles)),
      kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
}

// A mark in a cell of its own, the title in the cell before it.
TEST(OutboundSpreadsheet, AMarkInACellOfItsOwnMarksTheWorkbook) {
  for (const std::string mark : {"【機密性3A】", "機密性３Ａ"}) {
    const auto s = scan_outbound(with_attachment("list.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
                                                                   "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c></row>",
                                                                   kPlainStyles, {"住民名簿", mark, "氏名"})),
                                 kLevels);
    EXPECT_EQ(s.classification, "3A") << mark << ": " << described(s);
  }
}

// The page header is where Excel puts a sheet's mark, after its section, font and size codes.
TEST(OutboundSpreadsheet, AMarkInThePageHeaderIsReadWithoutExcelsCodes) {
  for (const std::string header : {"&amp;R&amp;\"ＭＳ Ｐゴシック,太字\"&amp;12機密性３Ａ", "&amp;C機密性３Ａ", "&amp;L&amp;B機密性３Ａ&amp;B&amp;R&amp;P"}) {
    const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>名簿</t></is></c></row></sheetData>"
                                                                    "<headerFooter><oddHeader>" + header + "</oddHeader></headerFooter><sheetData>",
                                                                    kPlainStyles)),
                                 kLevels);
    EXPECT_EQ(s.classification, "3A") << header << ": " << described(s);
  }
}

TEST(OutboundSpreadsheet, ANumberStoredInENotationIsReadAsExcelShowsIt) {
  const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><v>1.23456789018E+11</v></c></row>", kPlainStyles)), kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
}

// 012345678903 is valid; typed into a numeric column it is stored as 12345678903, and a
// zero-padding format shows its zero again.
TEST(OutboundSpreadsheet, TheLeadingZerosOfAPaddingFormatAreRestored) {
  for (const std::string code : {"000000000000", "0000&quot;-&quot;0000&quot;-&quot;0000", "0000\\-0000\\-0000"}) {
    const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><v>12345678903</v></c></row>", styles_with(code))), kLevels);
    EXPECT_TRUE(found(s, "********8903")) << code << ": " << described(s);
  }
}

TEST(OutboundSpreadsheet, AFormulasStringLiteralsAreReadJoined) {
  const auto s = scan_outbound(
      with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" t=\"str\"><f>\"1234\"&amp;\"5678\"&amp;\"9018\"</f><v>x</v></c></row>", kPlainStyles)), kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
}

// Excel computes a formula without a stored value when the file opens: what it computes is not
// read, so a formula with numbers in it is not checked. One that only refers to cells (read
// where they are), or has its value stored, is.
TEST(OutboundSpreadsheet, AFormulaWithNumbersAndNoStoredValueIsNotChecked) {
  const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><f>1234*100000000+56789018</f></c></row>", kPlainStyles)), kLevels);
  ASSERT_EQ(s.unchecked.size(), 1u) << described(s);
  EXPECT_EQ(s.unchecked[0].where, "meibo.xlsx/xl/worksheets/sheet1.xml") << described(s);
  EXPECT_NE(s.unchecked[0].why.find("A1"), std::string::npos) << described(s);
  const auto shared = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\"><f t=\"shared\" ref=\"A1:A2\" si=\"0\">B1*1000</f><v>1000</v></c></row>"
                                                                       "<row r=\"2\"><c r=\"A2\"><f t=\"shared\" si=\"0\"/></c></row>",
                                                                       kPlainStyles)),
                                    kLevels);
  EXPECT_EQ(shared.unchecked.size(), 1u) << described(shared);
  const auto references = scan_outbound(with_attachment("sum.xlsx", xlsx("<row r=\"1\"><c r=\"A1\"><f>SUM(B1:B10)+LOG10(C2)</f></c>"
                                                                         "<c r=\"B1\"><f>B2*12</f><v>24</v></c></row>",
                                                                         kPlainStyles)),
                                        kLevels);
  EXPECT_TRUE(references.unchecked.empty()) << described(references);
  EXPECT_TRUE(references.identifiers.empty()) << described(references);
}

// A workbook that asks Excel to compute every formula again when it opens shows what they
// compute, not the <v> stored: a formula with numbers of its own is not checked (its stored value
// may be anything). Without the flag the stored value is what Excel shows and is read.
TEST(OutboundSpreadsheet, AFormulaComputedAgainOnOpeningIsNotChecked) {
  const std::string cell = "<row r=\"1\"><c r=\"B2\"><f>1234*100000000+56789018</f><v>0</v></c></row>";
  const std::string file = xlsx(cell, kPlainStyles);
  for (const std::string calc : {"<calcPr fullCalcOnLoad=\"1\"/>", "<calcPr calcId=\"191029\" forceFullCalc=\"true\"/>"}) {
    const auto s = scan_outbound(with_attachment("meibo.xlsx", xlsx(cell, kPlainStyles, {}, calc)), kLevels);
    ASSERT_EQ(s.unchecked.size(), 1u) << calc << ": " << described(s);
    EXPECT_EQ(s.unchecked[0].where, "meibo.xlsx/xl/worksheets/sheet1.xml") << described(s);
    EXPECT_NE(s.unchecked[0].why.find("B2"), std::string::npos) << described(s);
    EXPECT_NE(s.unchecked[0].why.find("fullCalcOnLoad"), std::string::npos) << described(s);
  }
  // A cell marked to be calculated again (ca="1") is the same.
  const auto marked = scan_outbound(with_attachment("meibo.xlsx", xlsx("<row r=\"1\"><c r=\"A1\"><f ca=\"1\">1234*100000000+56789018</f><v>0</v></c></row>", kPlainStyles)), kLevels);
  EXPECT_EQ(marked.unchecked.size(), 1u) << described(marked);
  // No flag: the stored value is shown, and read.
  const auto stored = scan_outbound(with_attachment("meibo.xlsx", file), kLevels);
  EXPECT_TRUE(stored.unchecked.empty()) << described(stored);
  // Flagged, but the formulas only refer to cells (each read where it is).
  const auto only_references = scan_outbound(
      with_attachment("sum.xlsx", xlsx("<row r=\"1\"><c r=\"A1\"><f>SUM(B1:B10)</f><v>0</v></c></row>", kPlainStyles, {}, "<calcPr fullCalcOnLoad=\"1\"/>")), kLevels);
  EXPECT_TRUE(only_references.unchecked.empty()) << described(only_references);
}

// A percentage format shows a value a hundred times larger: 1234567890.18 as 123456789018%.
TEST(OutboundSpreadsheet, APercentageIsReadAsShown) {
  const auto s = scan_outbound(with_attachment("p.xlsx", xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><v>1234567890.18</v></c></row>", styles_with("0%"))), kLevels);
  EXPECT_TRUE(found(s, "********9018")) << described(s);
}

// An OpenDocument spreadsheet of one table whose cells are `cells` (table:table-cell elements in
// one row), with `styles` in its automatic styles and `columns` before the row.
std::string ods(const std::string& cells, const std::string& styles = "", const std::string& columns = "") {
  const std::string ns =
      " xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
      " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\""
      " xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\" xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\"";
  return sanso::testing::zip_of({{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"},
                                 {"META-INF/manifest.xml",
                                  "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"><manifest:file-entry manifest:full-path=\"/\" "
                                  "manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/></manifest:manifest>"},
                                 {"content.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content" + ns + "><office:automatic-styles>" + styles +
                                                     "</office:automatic-styles><office:body><office:spreadsheet><table:table table:name=\"S\">" + columns +
                                                     "<table:table-row>" + cells + "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"}});
}

// What Calc shows of an .ods that content.xml does not spell, as for .xlsx: office:value in E
// notation, padded by the cell's number style (its own, or its column's default), a percentage;
// a formula's string literals joined.
TEST(OutboundSpreadsheet, AnOdsIsReadAsCalcShowsIt) {
  const std::string padded =
      "<number:number-style style:name=\"N99\"><number:number number:decimal-places=\"0\" number:min-integer-digits=\"12\"/></number:number-style>"
      "<style:style style:name=\"ce1\" style:family=\"table-cell\" style:data-style-name=\"N99\"/>";
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"E notation", {"<table:table-cell office:value-type=\"float\" office:value=\"1.23456789018E+11\"><text:p>1.23457E+11</text:p></table:table-cell>", ""}},
      {"padded by the cell's style",
       {"<table:table-cell table:style-name=\"ce1\" office:value-type=\"float\" office:value=\"12345678903\"><text:p>1.2E+10</text:p></table:table-cell>", ""}},
      {"padded by the column's style",
       {"<table:table-cell/><table:table-cell office:value-type=\"float\" office:value=\"12345678903\"><text:p>x</text:p></table:table-cell>",
        "<table:table-column table:number-columns-repeated=\"1\"/><table:table-column table:default-cell-style-name=\"ce1\"/>"}},
      {"a percentage", {"<table:table-cell office:value-type=\"percentage\" office:value=\"1234567890.18\"><text:p>1E+11%</text:p></table:table-cell>", ""}},
      {"formula literals",
       {"<table:table-cell table:formula=\"of:=&quot;1234&quot;&amp;&quot;5678&quot;&amp;&quot;9018&quot;\" office:value-type=\"string\" "
        "office:string-value=\"x\"><text:p>x</text:p></table:table-cell>",
        ""}},
  };
  for (const auto& [what, cell] : cases) {
    const auto s = scan_outbound(with_attachment("meibo.ods", ods(cell.first, padded, cell.second)), kLevels);
    const std::string masked = what.starts_with("padded") ? "********8903" : "********9018";
    EXPECT_TRUE(found(s, masked)) << what << ": " << described(s);
  }
  // Not padded where no style pads it: 12345678903 stays eleven digits, no number.
  const auto plain = scan_outbound(
      with_attachment("list.ods", ods("<table:table-cell office:value-type=\"float\" office:value=\"12345678903\"><text:p>12345678903</text:p></table:table-cell>", padded)), kLevels);
  EXPECT_TRUE(plain.identifiers.empty()) << described(plain);
}

// A formula with numbers of its own and no value stored is computed when the file opens: not read.
TEST(OutboundSpreadsheet, AnOdsFormulaWithNumbersAndNoStoredValueIsNotChecked) {
  const auto s = scan_outbound(
      with_attachment("meibo.ods", ods("<table:table-cell/><table:table-cell table:formula=\"of:=1234*100000000+56789018\"/>")), kLevels);
  ASSERT_EQ(s.unchecked.size(), 1u) << described(s);
  EXPECT_EQ(s.unchecked[0].where, "meibo.ods/content.xml") << described(s);
  EXPECT_NE(s.unchecked[0].why.find("B1"), std::string::npos) << described(s);
  const auto references = scan_outbound(with_attachment("sum.ods", ods("<table:table-cell table:formula=\"of:=SUM([.B1:.B10])\"/>")), kLevels);
  EXPECT_TRUE(references.unchecked.empty()) << described(references);
  const auto stored = scan_outbound(
      with_attachment("sum.ods", ods("<table:table-cell table:formula=\"of:=[.B1]*2\" office:value-type=\"float\" office:value=\"4\"><text:p>4</text:p></table:table-cell>")),
      kLevels);
  EXPECT_TRUE(stored.unchecked.empty()) << described(stored);
}

}  // namespace
}  // namespace sanso::mail
