// Theme ids with a meaning of their own on voc.theme.mentions and voc.theme.aggregates,
// besides the taxonomy's (which are dotted paths such as "reliability.crashes").
#pragma once

namespace voc {

// Feedback that matches no theme of the taxonomy.
inline constexpr char kUnthemedId[] = "other";
inline constexpr char kUnthemedPath[] = "Other";
// Every feedback once, whatever its themes: the overall windows (each response counted
// once, so their NPS and CSAT are the overall scores) and the drivers of those scores.
inline constexpr char kOverallThemeId[] = "*";
inline constexpr char kOverallThemePath[] = "All feedback";

}  // namespace voc
