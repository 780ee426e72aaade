import SwiftUI

struct SignInView: View {
    @EnvironmentObject private var model: AccountModel
    @State private var userId = ""
    @State private var password = ""

    var body: some View {
        Form {
            Section {
                TextField("@alice:example.org", text: $userId)
                    .textContentType(.username)
                    .keyboardType(.emailAddress)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                SecureField("Password", text: $password)
                    .textContentType(.password)
            } header: {
                Text("Matrix account")
            } footer: {
                Text("The homeserver is found from the user id (.well-known).")
            }
            Section {
                Button {
                    Task { await model.signIn(userId: userId, password: password) }
                } label: {
                    if model.busy { ProgressView() } else { Text("Sign in") }
                }
                .disabled(model.busy || userId.isEmpty || password.isEmpty)
            }
            if let message = model.message {
                Section {
                    Text(message).foregroundStyle(.red)
                }
            }
        }
        .navigationTitle("Sign in")
    }
}
