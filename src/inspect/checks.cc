#include "inspect/checks.h"

#include <array>

namespace sanso::inspect {
namespace {

constexpr std::array kChecks = {
    AutomaticCheck{"mynumber-egress", "マイナンバー利用事務系から他の領域への通信が検知されていない",
                   "No flow left the mynumber zone in the period", "6(3)①"},
    AutomaticCheck{"monitor-heartbeat", "フロー監視が期間中途切れずに動いていた（ハートビート・検知の記録）",
                   "The flow monitor ran throughout the period (its heartbeats and findings leave no gap)", "6(3)③"},
    AutomaticCheck{"release-two-person", "隔離からの解除はすべて申請者と別の承認者の二名で行われた",
                   "Every quarantine release had two people", "6(7)"},
    AutomaticCheck{"approver-second-factor", "承認者はすべて第二要素で認証していた",
                   "Every approver used a second factor", "6(6)"},
    AutomaticCheck{"quarantine-retention", "隔離の保存期間が設定の上限内である",
                   "Quarantine retention within the configured limits", "6(7)"},
    AutomaticCheck{"policy-review", "情報セキュリティポリシーが12か月以内に見直されている",
                   "The policy was reviewed within 12 months", "8"},
    AutomaticCheck{"sns-responsible", "ソーシャルメディアの各アカウントに責任者が定められている",
                   "Every social-media account has a responsible person", "6(8)"},
    AutomaticCheck{"contract-check", "確認期限を過ぎた委託契約がない（委託事業者台帳）",
                   "No contract past its check date (the contractors register)", "6(8)"},
    AutomaticCheck{"exception-expiry", "期限切れの例外措置が残っていない",
                   "No expired exception is still in force", "6(7)"},
};

}  // namespace

std::span<const AutomaticCheck> automatic_checks() { return kChecks; }

const AutomaticCheck* find_automatic_check(std::string_view id) {
  for (const auto& check : kChecks) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

}  // namespace sanso::inspect
