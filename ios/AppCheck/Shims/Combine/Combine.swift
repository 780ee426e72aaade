// TYPE-CHECKING SHIM — NOT Apple's Combine. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named Combine so that AccountModel (an
// ObservableObject with @Published state for SwiftUI) can be type-checked on Linux. It mirrors
// the names and signatures of the iOS 26 SDK's Swift interface for exactly the API that code
// uses: ObservableObject and @Published (only on class properties, through the enclosing-instance
// subscript, as the real wrapper). Bodies never run. Add a declaration only as the SDK spells it,
// and only when the app starts using it.
import Foundation

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not Combine") }

final public class ObservableObjectPublisher {
    public init() {}
    final public func send() { shimOnly() }
}

public protocol ObservableObject: AnyObject {
    associatedtype ObjectWillChangePublisher = ObservableObjectPublisher
    var objectWillChange: ObjectWillChangePublisher { get }
}

extension ObservableObject where ObjectWillChangePublisher == ObservableObjectPublisher {
    public var objectWillChange: ObservableObjectPublisher { shimOnly() }
}

@propertyWrapper
public struct Published<Value> {
    public struct Publisher {}

    public init(wrappedValue: Value) { shimOnly() }
    public init(initialValue: Value) { shimOnly() }

    @available(*, unavailable, message: "@Published is only available on properties of classes")
    public var wrappedValue: Value {
        get { shimOnly() }
        set { shimOnly() }
    }

    public var projectedValue: Published<Value>.Publisher {
        mutating get { shimOnly() }
        set { shimOnly() }
    }

    public static subscript<EnclosingSelf: AnyObject>(
        _enclosingInstance object: EnclosingSelf,
        wrapped wrappedKeyPath: ReferenceWritableKeyPath<EnclosingSelf, Value>,
        storage storageKeyPath: ReferenceWritableKeyPath<EnclosingSelf, Published<Value>>
    ) -> Value {
        get { shimOnly() }
        set { shimOnly() }
    }
}
