#include "policy/internal/builtin.h"

#include <string>

namespace sanso::policy::internal {

std::string_view builtin_schemes_toml() {
  return R"toml(
[[schemes]]
id = "jp-2015"
name = "情報資産の分類（機密性3段階）"
name_en = "Information asset classification (three confidentiality levels)"
internet_ceiling = "2"
confidentiality = [
  { id = "1", name = "機密性1", name_en = "Confidentiality 1" },
  { id = "2", name = "機密性2", name_en = "Confidentiality 2" },
  { id = "3", name = "機密性3", name_en = "Confidentiality 3" },
]
integrity = [
  { id = "1", name = "完全性1", name_en = "Integrity 1" },
  { id = "2", name = "完全性2", name_en = "Integrity 2" },
]
availability = [
  { id = "1", name = "可用性1", name_en = "Availability 1" },
  { id = "2", name = "可用性2", name_en = "Availability 2" },
]

[[schemes]]
id = "jp-2024"
name = "情報資産の分類（自治体機密性3A/3B/3C/2/1、2024年改定）"
name_en = "Information asset classification (municipal confidentiality 3A/3B/3C/2/1, 2024 revision)"
internet_ceiling = "2"
confidentiality = [
  { id = "1",  name = "自治体機密性1",  name_en = "Municipal confidentiality 1" },
  { id = "2",  name = "自治体機密性2",  name_en = "Municipal confidentiality 2" },
  { id = "3C", name = "自治体機密性3C", name_en = "Municipal confidentiality 3C" },
  { id = "3B", name = "自治体機密性3B", name_en = "Municipal confidentiality 3B" },
  { id = "3A", name = "自治体機密性3A", name_en = "Municipal confidentiality 3A" },
]
integrity = [
  { id = "1", name = "完全性1", name_en = "Integrity 1" },
  { id = "2", name = "完全性2", name_en = "Integrity 2" },
]
availability = [
  { id = "1", name = "可用性1", name_en = "Availability 1" },
  { id = "2", name = "可用性2", name_en = "Availability 2" },
]
)toml";
}

namespace {

// Rules every variant of the three-layer model shares. `@above_ceiling` is replaced by the level
// just above the scheme's internet ceiling before parsing (rules using it are dropped when the
// scheme has no such level).
constexpr std::string_view kCommonRules = R"toml(
[[rules]]
id = "profile.mynumber-egress"
from = "mynumber"
to = "*"
scope = "cross_zone"
action = "deny"
clause = "6(3)①"
reason = "マイナンバー利用事務系は他の領域と通信できないようにする"
reason_en = "The Individual Number zone does not communicate with other zones"

[[rules]]
id = "profile.mynumber-ingress"
from = "*"
to = "mynumber"
scope = "cross_zone"
action = "deny"
clause = "6(3)①"
reason = "マイナンバー利用事務系は他の領域と通信できないようにする"
reason_en = "The Individual Number zone does not communicate with other zones"

[[rules]]
id = "profile.mynumber-no-export"
from = "mynumber"
to = "mynumber"
channels = ["removable_media"]
action = "deny"
clause = "6(3)①"
reason = "マイナンバー利用事務系の端末からの情報持ち出しは不可"
reason_en = "No export from Individual Number zone terminals"

[[rules]]
id = "profile.same-zone"
from = "*"
to = "*"
scope = "same_zone"
channels = ["mail", "file", "web", "screen", "api"]
action = "allow"
clause = "6(3)"
reason = "同一領域内の業務通信"
reason_en = "Business traffic inside one zone"

[[rules]]
id = "profile.inet-lgwan-mail"
from = "internet"
to = "lgwan"
channels = ["mail"]
action = "sanitize"
clause = "6(3)②"
reason = "インターネットメールは本文のテキスト化等の無害化通信を経てLGWAN接続系へ渡す（2(13)）"
reason_en = "Internet mail reaches LGWAN only as sanitized text mail (2(13))"

[[rules]]
id = "profile.inet-lgwan-file"
from = "internet"
to = "lgwan"
channels = ["file"]
action = "sanitize"
clause = "6(3)②"
reason = "インターネット接続系からのファイルは無害化（ファイル再構成）してLGWAN接続系へ取り込む"
reason_en = "Files from the internet zone enter LGWAN only after disarm and rebuild"

[[rules]]
id = "profile.inet-lgwan-screen"
from = "internet"
to = "lgwan"
channels = ["screen"]
action = "sanitize"
clause = "6(3)②"
reason = "端末への画面転送による無害化通信（2(13)）"
reason_en = "Screen transfer to the terminal is a sanitized channel (2(13))"

[[rules]]
id = "profile.inet-lgwan-split"
from = "internet"
to = "lgwan"
channels = ["web", "removable_media"]
action = "deny"
clause = "6(3)②"
reason = "LGWAN接続系とインターネット接続系の通信経路は分割する"
reason_en = "The paths between LGWAN and the internet zone are split"

[[rules]]
id = "profile.lgwan-inet-mail"
from = "lgwan"
to = "internet"
channels = ["mail"]
action = "sanitize"
clause = "6(3)②"
reason = "LGWAN接続系からの外部メールは送信前に検査（個人番号・機密表示・添付）を行う"
reason_en = "Outbound mail from LGWAN is inspected (individual numbers, markings, attachments) before it leaves"

[[rules]]
id = "profile.lgwan-inet-file"
from = "lgwan"
to = "internet"
channels = ["file"]
action = "approve"
approver = "security_manager"
clause = "6(3)②"
reason = "LGWAN接続系からインターネット接続系へのファイル持ち出しは情報セキュリティ管理者の承認を要する"
reason_en = "Files leaving LGWAN for the internet zone need the security manager's approval"

[[rules]]
id = "profile.lgwan-inet-above-ceiling"
from = "lgwan"
to = "internet"
channels = ["mail", "file"]
min_confidentiality = "@above_ceiling"
action = "deny"
clause = "6(2)"
reason = "インターネット接続系で扱えない機密性の情報はLGWAN接続系から出さない"
reason_en = "Information classified above the internet zone's ceiling does not leave LGWAN"

[[rules]]
id = "profile.lgwan-inet-split"
from = "lgwan"
to = "internet"
channels = ["screen", "removable_media"]
action = "deny"
clause = "6(3)②"
reason = "LGWAN接続系とインターネット接続系の通信経路は分割する"
reason_en = "The paths between LGWAN and the internet zone are split"
)toml";

// Without α' cloud use, LGWAN terminals reach nothing on the internet directly.
constexpr std::string_view kNoCloudRules = R"toml(
[[rules]]
id = "profile.lgwan-inet-web"
from = "lgwan"
to = "internet"
channels = ["web", "api"]
action = "deny"
clause = "6(3)②"
reason = "LGWAN接続系とインターネット接続系の通信経路は分割する（LGWAN端末からのインターネット直接利用は不可）"
reason_en = "The paths between LGWAN and the internet zone are split (no direct internet use from LGWAN terminals)"
)toml";

// Without β's business terminals in the internet zone, nothing there calls LGWAN systems.
constexpr std::string_view kNoInternetTerminalRules = R"toml(
[[rules]]
id = "profile.inet-lgwan-api"
from = "internet"
to = "lgwan"
channels = ["api"]
action = "deny"
clause = "6(3)②"
reason = "LGWAN接続系とインターネット接続系の通信経路は分割する"
reason_en = "The paths between LGWAN and the internet zone are split"
)toml";

constexpr std::string_view kAlphaPrimeRules = R"toml(
[[rules]]
id = "profile.lgwan-cloud"
from = "lgwan"
to = "internet"
channels = ["web", "api"]
max_confidentiality = "@ceiling"
action = "approve"
approver = "security_manager"
clause = "6(8)"
reason = "α'モデル：LGWAN接続系端末からは承認済みの外部サービス（クラウドサービス）のみ利用可"
reason_en = "α' model: LGWAN terminals may use approved cloud services only"

[[rules]]
id = "profile.lgwan-cloud-above-ceiling"
from = "lgwan"
to = "internet"
channels = ["web", "api"]
min_confidentiality = "@above_ceiling"
action = "deny"
clause = "6(2)"
reason = "インターネット接続系で扱えない機密性の情報は外部サービスへ送らない"
reason_en = "Information classified above the internet zone's ceiling is not sent to cloud services"
)toml";

constexpr std::string_view kBetaRules = R"toml(
[[rules]]
id = "profile.beta-inet-lgwan-api"
from = "internet"
to = "lgwan"
channels = ["api"]
action = "sanitize"
clause = "6(3)②"
reason = "βモデル：インターネット接続系の業務端末からLGWAN接続系の業務システムへは無害化を経て連携"
reason_en = "β model: internet-zone business terminals reach LGWAN systems only through sanitization"
)toml";

}  // namespace

std::string profile_toml(Profile profile) {
  std::string out = "[profile_defaults]\n";
  switch (profile) {
    case Profile::kAlpha:
      out += "required_controls = { mynumber = [\"mfa\", \"no_export\"] }\n";
      break;
    case Profile::kAlphaPrime:
      out += "required_controls = { mynumber = [\"mfa\", \"no_export\"], lgwan = [\"edr\"] }\n";
      break;
    case Profile::kBeta:
    case Profile::kBetaPrime:
      out += "required_controls = { mynumber = [\"mfa\", \"no_export\"], internet = [\"edr\"] }\n";
      break;
  }
  out += "required_roles = [\"security_manager\"]\n";
  out += kCommonRules;
  const bool cloud = profile == Profile::kAlphaPrime || profile == Profile::kBetaPrime;
  const bool internet_terminals = profile == Profile::kBeta || profile == Profile::kBetaPrime;
  out += cloud ? kAlphaPrimeRules : kNoCloudRules;
  out += internet_terminals ? kBetaRules : kNoInternetTerminalRules;
  return out;
}

}  // namespace sanso::policy::internal
