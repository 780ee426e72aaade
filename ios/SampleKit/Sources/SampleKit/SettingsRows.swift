import MatrixPush

// What the settings screen (MatrixPushSample/SettingsView.swift) shows, read from the library's
// records here rather than in the view: scripts/ios-app-check only parses the SwiftUI views (a
// SwiftUI shim would be most of SwiftUI), but it type-checks SampleKit, so every binding name the
// screen depends on (`SessionInfo`, `RoomSummary`, `RoomNotificationMode` and their fields and
// cases) is checked against the generated bindings, and the wording is unit tested. The views see
// only these plain values and `AccountModel` (ios-app-check fails when a view imports MatrixPush).

/// The signed-in account as the settings screen shows it.
public struct AccountDetails: Equatable, Sendable {
    public let userId: String
    public let deviceId: String
    /// The client-server API base URL.
    public let homeserver: String

    public init(_ session: SessionInfo) {
        userId = session.userId
        deviceId = session.deviceId
        homeserver = session.homeserver
    }
}

/// One of the three modes a room can be given (`Client.setRoomMode`), as the room's screen offers
/// it.
public struct RoomModeOption: Hashable, Identifiable, Sendable {
    public let mode: RoomNotificationMode
    /// The picker's label.
    public let label: String

    public var id: String { label }

    /// The picker's choices, in order.
    public static var all: [RoomModeOption] {
        [
            RoomModeOption(mode: .allMessages, label: "All messages"),
            RoomModeOption(mode: .mentionsAndKeywordsOnly, label: "Mentions and keywords"),
            RoomModeOption(mode: .mute, label: "Nothing"),
        ]
    }

    /// What the picker shows as chosen for a room's mode: a room without a rule of its own
    /// (`nil`) notifies for all messages, as the account's defaults do.
    public static func selected(_ mode: RoomNotificationMode?) -> RoomModeOption {
        let mode = mode ?? .allMessages
        return all.first { $0.mode == mode } ?? all[0]
    }

    /// A room's mode in the rooms list; "Default" for a room without a rule of its own.
    public static func describe(_ mode: RoomNotificationMode?) -> String {
        switch mode {
        case nil: return "Default"
        case .allMessages: return "All messages"
        case .mentionsAndKeywordsOnly: return "Mentions & keywords"
        case .mute: return "Nothing"
        }
    }
}

/// A joined room in the settings screen's list (`Client.rooms()`).
public struct RoomRow: Identifiable, Equatable, Sendable {
    /// The room id.
    public let id: String
    /// The room's display name.
    public let title: String
    /// Its mode in words (`RoomModeOption.describe`).
    public let mode: String
    /// An SF Symbol: one person for a DM, a group otherwise.
    public let systemImage: String

    public init(_ room: RoomSummary) {
        id = room.roomId
        title = room.name
        mode = RoomModeOption.describe(room.mode)
        systemImage = room.isDm ? "person" : "person.3"
    }
}
