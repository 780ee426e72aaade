import SwiftUI

@main
struct MatrixPushSampleApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate
    @StateObject private var model = AccountModel.shared
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            NavigationStack {
                ContentView()
            }
            .environmentObject(model)
        }
        .onChange(of: scenePhase) { phase in
            model.scenePhaseChanged(active: phase == .active)
        }
    }
}

struct ContentView: View {
    @EnvironmentObject private var model: AccountModel

    var body: some View {
        switch model.phase {
        case .starting:
            ProgressView()
        case .signedOut:
            SignInView()
        case .signedIn(let account):
            SettingsView(account: account)
        }
    }
}
