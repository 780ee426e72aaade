import MatrixPush

/// A resolved notification as the library returns it, for the tests to vary.
func notification(
    kind: NotificationKind = .message(msgtype: "m.text"), roomName: String = "Climbing club",
    isDm: Bool = false, senderName: String = "Bob", avatar: String? = "mxc://example.org/bob",
    roomAvatar: String? = nil, body: String = "Hello", undecryptable: UndecryptableReason? = nil
) -> PushNotification {
    PushNotification(
        eventId: "$event", roomId: "!room:example.org", roomName: roomName, isDm: isDm,
        senderId: "@bob:example.org", senderName: senderName, senderAvatarUrl: avatar, roomAvatarUrl: roomAvatar, kind: kind,
        body: body, threadId: nil, isNoisy: true, sound: "default", highlight: false,
        timestampMs: 1_700_000_000_000, unread: 3, ruleId: ".m.rule.message",
        undecryptable: undecryptable)
}
