import SampleKit
import SwiftUI

// A SwiftUI view: scripts/ios-app-check only parses it. So it names no binding type (it does not
// import MatrixPush, which the check enforces): what it shows of the library's records comes from
// SampleKit's plain values (AccountDetails, RoomRow, RoomModeOption), and what it does goes
// through AccountModel; both are type-checked against the generated bindings.
struct SettingsView: View {
    @EnvironmentObject private var model: AccountModel
    let account: AccountDetails
    @State private var newKeyword = ""
    @State private var roomId = ""
    @State private var rooms: [RoomRow] = []
    /// The recovery key while it is typed; cleared once it has done its job.
    @State private var recoveryKey = ""

    var body: some View {
        Form {
            Section("Account") {
                LabeledContent("User", value: account.userId)
                LabeledContent("Device", value: account.deviceId)
                LabeledContent("Homeserver", value: account.homeserver)
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
                ForEach(rooms) { room in
                    NavigationLink {
                        RoomModeView(roomId: room.id, title: room.title)
                    } label: {
                        LabeledContent {
                            Text(room.mode)
                        } label: {
                            Label(room.title, systemImage: room.systemImage)
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
                Toggle("Private read receipts", isOn: $model.privateReadReceipts)
            } header: {
                Text("Read receipts")
            } footer: {
                Text("\"Mark as Read\" on a notification tells the room how far you have read. Private: only your own devices are told; the unread count drops everywhere either way.")
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
}

struct RoomModeView: View {
    @EnvironmentObject private var model: AccountModel
    let roomId: String
    let title: String
    @State private var selection: RoomModeOption?
    @State private var loaded = false

    var body: some View {
        Form {
            Section {
                Picker("Notify me for", selection: Binding(
                    get: { selection ?? RoomModeOption.selected(nil) },
                    set: { option in
                        selection = option
                        Task { await model.setRoomMode(roomId, option) }
                    }
                )) {
                    ForEach(RoomModeOption.all) { option in
                        Text(option.label).tag(option)
                    }
                }
                .pickerStyle(.inline)
                .disabled(!loaded)
            } footer: {
                Text(roomId)
            }
        }
        .navigationTitle(title)
        .task {
            selection = await model.roomMode(roomId)
            loaded = true
        }
    }
}
