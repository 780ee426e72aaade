import MatrixPush
import SampleKit
import SwiftUI

struct SettingsView: View {
    @EnvironmentObject private var model: AccountModel
    let session: SessionInfo
    @State private var newKeyword = ""
    @State private var roomId = ""
    @State private var rooms: [RoomSummary] = []
    /// The recovery key while it is typed; cleared once it has done its job.
    @State private var recoveryKey = ""

    var body: some View {
        Form {
            Section("Account") {
                LabeledContent("User", value: session.userId)
                LabeledContent("Device", value: session.deviceId)
                LabeledContent("Homeserver", value: session.homeserver)
            }
            Section("Push") {
                Text(model.pushStatus)
                if let opened = model.openedRoom {
                    LabeledContent("Last opened", value: opened)
                }
            }
            Section {
                ForEach(model.keywords, id: \.self) { keyword in
                    Text(keyword)
                }
                .onDelete { offsets in
                    let removed = offsets.map { model.keywords[$0] }
                    Task { for keyword in removed { await model.removeKeyword(keyword) } }
                }
                HStack {
                    TextField("New keyword (globs: deploy*)", text: $newKeyword)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    Button("Add") {
                        let keyword = newKeyword
                        newKeyword = ""
                        Task { await model.addKeyword(keyword) }
                    }
                    .disabled(newKeyword.trimmingCharacters(in: .whitespaces).isEmpty)
                }
            } header: {
                Text("Keywords")
            } footer: {
                Text("A message containing a keyword notifies with a sound and breaks through Focus.")
            }
            Section {
                ForEach(rooms, id: \.roomId) { room in
                    NavigationLink {
                        RoomModeView(roomId: room.roomId, title: room.name)
                    } label: {
                        LabeledContent {
                            Text(Self.describe(room.mode))
                        } label: {
                            Label(room.name, systemImage: room.isDm ? "person" : "person.3")
                        }
                    }
                }
                HStack {
                    TextField("!room:example.org", text: $roomId)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    NavigationLink("Open") { RoomModeView(roomId: roomId, title: roomId) }
                        .disabled(roomId.isEmpty)
                }
            } header: {
                Text("Rooms")
            } footer: {
                Text("The rooms you have joined. For an invite, enter the room id.")
            }
            Section {
                // A secret: masked, and kept in this view's state only until it has done its job.
                SecureField("Recovery key (EsT…) or passphrase", text: $recoveryKey)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                Button("Recover") {
                    let key = recoveryKey
                    Task {
                        if await model.recover(recoveryKey: key) { recoveryKey = "" }
                    }
                }
                .disabled(model.busy || !RecoveryText.canSubmit(recoveryKey))
                if let status = model.recoveryStatus {
                    Text(status)
                }
            } header: {
                Text("Recover encrypted messages")
            } footer: {
                Text("The recovery key another app (Element, say) showed you when you set up recovery. It verifies this device, so senders share their keys with it, and reads missing keys from the key backup.")
            }
            if let message = model.message {
                Section { Text(message).foregroundStyle(.red) }
            }
            Section {
                Button("Sign out", role: .destructive) {
                    Task { await model.signOut() }
                }
                .disabled(model.busy)
            }
        }
        .navigationTitle("Notifications")
        // Again each time the screen shows: a room's mode may have changed on its own screen.
        .task { rooms = await model.rooms() }
    }

    private static func describe(_ mode: RoomNotificationMode?) -> String {
        switch mode {
        case nil: return "Default"
        case .allMessages: return "All messages"
        case .mentionsAndKeywordsOnly: return "Mentions & keywords"
        case .mute: return "Nothing"
        }
    }
}

struct RoomModeView: View {
    @EnvironmentObject private var model: AccountModel
    let roomId: String
    let title: String
    @State private var mode: RoomNotificationMode?
    @State private var loaded = false

    var body: some View {
        Form {
            Section {
                Picker("Notify me for", selection: Binding(
                    get: { mode ?? .allMessages },
                    set: { newMode in
                        mode = newMode
                        Task { await model.setRoomMode(roomId, newMode) }
                    }
                )) {
                    Text("All messages").tag(RoomNotificationMode.allMessages)
                    Text("Mentions and keywords").tag(RoomNotificationMode.mentionsAndKeywordsOnly)
                    Text("Nothing").tag(RoomNotificationMode.mute)
                }
                .pickerStyle(.inline)
                .disabled(!loaded)
            } footer: {
                Text(roomId)
            }
        }
        .navigationTitle(title)
        .task {
            mode = await model.roomMode(roomId)
            loaded = true
        }
    }
}
