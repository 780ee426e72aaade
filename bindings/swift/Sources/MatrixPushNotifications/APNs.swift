import Foundation
import MatrixPush

/// The APNs device token as a Matrix pushkey, and the push's `userInfo` as the JSON the library
/// decodes.
public enum APNs {
    /// The pushkey for the device token `didRegisterForRemoteNotificationsWithDeviceToken` hands
    /// the app: the **base64** of the raw token bytes. That is what the spec asks for and what
    /// Sygnal expects; with `convert_device_token_to_hex: true` Sygnal turns it back into the hex
    /// form APNs addresses (`/3/device/<hex>`). Not the hex string, not `Data.description`.
    public static func pushkey(deviceToken: Data) -> String {
        deviceToken.base64EncodedString()
    }

    /// The hex token Sygnal sends to APNs for a pushkey (to compare with what Apple's tools or a
    /// gateway log show); nil when the pushkey is not base64.
    public static func hexDeviceToken(pushkey: String) -> String? {
        guard let bytes = Data(base64Encoded: pushkey), !bytes.isEmpty else { return nil }
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }

    /// `request.content.userInfo` as JSON text (keys made strings).
    public static func userInfoJson(_ userInfo: [AnyHashable: Any]) throws -> String {
        var object: [String: Any] = [:]
        for (key, value) in userInfo {
            object[(key.base as? String) ?? String(describing: key.base)] = value
        }
        guard JSONSerialization.isValidJSONObject(object) else {
            throw MatrixPushError.InvalidPayload(detail: "userInfo is not JSON")
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes a push's `userInfo` with the library (`decodeApns`).
    public static func decode(userInfo: [AnyHashable: Any]) throws -> PushPayload {
        try decodeApns(userInfoJson: userInfoJson(userInfo))
    }
}

/// One signed-in account as far as routing a push goes is the library's `AccountRoute`; the
/// sample's vocabulary for it is its id in the app and its pusher's routing secret
/// (`PushSetupState.accountSecret`).
extension AccountRoute {
    public init(id: String, secret: String?) {
        self.init(account: id, secret: secret)
    }

    /// The account's id in the app (the route's `account`).
    public var id: String {
        get { account }
        set { account = newValue }
    }
}

/// Picks the account a push is for, from the `cs` secret its pusher's `default_payload` put in it:
/// the library's `routePush` (the core's `payload::route`; APNs pushes carry no pushkey or app id,
/// so its rules on those never apply):
/// 1. the account whose secret equals the payload's `cs`;
/// 2. else the only account — unless both have a secret and they differ (a push for a pusher
///    the app no longer knows, e.g. an account that signed out);
/// 3. else nil (also for a payload record whose JSON fields do not parse, which the decoders
///    never make).
public func routeAccount(_ payload: PushPayload, among accounts: [AccountRoute]) -> AccountRoute? {
    try? routePush(payload: payload, routes: accounts)
}

/// The `cs` routing secret a push carries (`payload.extraJson["cs"]`), if any.
public func routingSecret(of payload: PushPayload) -> String? {
    guard let data = payload.extraJson.data(using: .utf8),
          let extra = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    else { return nil }
    return extra[PushSetup.routingSecretKey] as? String
}
