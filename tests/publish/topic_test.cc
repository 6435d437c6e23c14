#include "publish/topic.h"

#include <gtest/gtest.h>

#include <string>

namespace dnswatch {
namespace {

// What a SUB socket does with a subscription: a plain byte prefix match.
bool subscription_matches(std::string_view subscription, std::string_view topic) {
    return topic.substr(0, subscription.size()) == subscription;
}

TEST(Topic, AlertTopicReversesTheLabels) {
    EXPECT_EQ(alert_topic("mail.victim.test"), "alert.test.victim.mail.");
    EXPECT_EQ(alert_topic("victim.test"), "alert.test.victim.");
    EXPECT_EQ(alert_topic("test"), "alert.test.");
}

TEST(Topic, RootAndEmptyOwnerGiveThePrefixAlone) {
    EXPECT_EQ(alert_topic(""), "alert.");
    EXPECT_EQ(alert_topic("."), "alert.");
}

TEST(Topic, TrailingDotCaseAndEmptyLabelsAreNormalised) {
    EXPECT_EQ(alert_topic("victim.test."), "alert.test.victim.");
    EXPECT_EQ(alert_topic("Mail.Victim.TEST"), "alert.test.victim.mail.");
    EXPECT_EQ(alert_topic("mail..victim.test"), "alert.test.victim.mail.");
}

TEST(Topic, TopicForTakesAnyPrefixWithOrWithoutItsDot) {
    EXPECT_EQ(topic_for("change", "victim.test"), "change.test.victim.");
    EXPECT_EQ(topic_for("change.", "victim.test"), "change.test.victim.");
    EXPECT_EQ(topic_for("stats", ""), "stats.");
    EXPECT_EQ(topic_for("", "victim.test"), "test.victim.");
}

TEST(Topic, EscapedDotStaysInsideItsLabel) {
    EXPECT_EQ(alert_topic(R"(a\.b.victim.test)"), R"(alert.test.victim.a\.b.)");
    EXPECT_EQ(alert_topic(R"(victim\.x.test)"), R"(alert.test.victim\.x.)");
    // An escaped backslash followed by a real dot: the dot still separates.
    EXPECT_EQ(alert_topic(R"(x\\.test)"), R"(alert.test.x\\.)");
    EXPECT_EQ(alert_topic(R"(\046.test)"), R"(alert.test.\046.)");
}

TEST(Topic, ZoneSubscriptionMatchesTheZoneAndItsSubdomainsOnly) {
    const std::string subscription = alert_topic("victim.test");
    ASSERT_EQ(subscription, "alert.test.victim.");

    EXPECT_TRUE(subscription_matches(subscription, alert_topic("victim.test")));
    EXPECT_TRUE(subscription_matches(subscription, alert_topic("mail.victim.test")));
    EXPECT_TRUE(subscription_matches(subscription, alert_topic("a.b.victim.test")));

    EXPECT_EQ(alert_topic("evilvictim.test"), "alert.test.evilvictim.");
    EXPECT_FALSE(subscription_matches(subscription, alert_topic("evilvictim.test")));
    EXPECT_FALSE(subscription_matches(subscription, alert_topic("victimx.test")));
    EXPECT_FALSE(subscription_matches(subscription, alert_topic("test")));
    EXPECT_FALSE(subscription_matches(subscription, alert_topic("victim.test.evil")));
    EXPECT_FALSE(subscription_matches(subscription, alert_topic(R"(victim\.x.test)")));
    EXPECT_FALSE(subscription_matches(subscription, topic_for("change", "victim.test")));
}

}  // namespace
}  // namespace dnswatch
