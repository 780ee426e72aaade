package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.MatrixPushException
import io.matrixpush.PushPayload
import io.matrixpush.core.Thumbnail
import io.matrixpush.decodeFcm
import io.matrixpush.decodeUnifiedPush
import io.matrixpush.fallbackNotification
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive

/** A signed-in account that can receive pushes. */
class PushAccount(val client: ClientInterface, val route: AccountRoute)

/** A push as its transport delivered it. */
sealed interface PushInput {
    /** `RemoteMessage.getData()`: the FCM data map Sygnal sends (strings only). */
    data class Fcm(val data: Map<String, String>) : PushInput

    /** A UnifiedPush message: the Push Gateway request body the Matrix gateway forwarded. */
    class UnifiedPush(val body: String) : PushInput {
        /** The body is the push's content: not for logs. */
        override fun toString() = "UnifiedPush(${body.length} bytes)"
    }

    /**
     * The push as two string fields, [KIND] and [PAYLOAD] (the FCM data map as a JSON object, the
     * UnifiedPush body as it came): how the app hands a push to WorkManager, whose input `Data`
     * holds strings and persists across process death, and reads it back in its worker.
     */
    fun toFields(): Map<String, String> = when (this) {
        is Fcm -> mapOf(KIND to KIND_FCM, PAYLOAD to JsonObject(data.mapValues { JsonPrimitive(it.value) }).toString())
        is UnifiedPush -> mapOf(KIND to KIND_UNIFIED_PUSH, PAYLOAD to body)
    }

    companion object {
        const val KIND = "kind"
        const val PAYLOAD = "payload"
        private const val KIND_FCM = "fcm"
        private const val KIND_UNIFIED_PUSH = "unifiedpush"

        /** The push back from [toFields] (looked up by [field]); null when they are not one. */
        fun fromFields(field: (String) -> String?): PushInput? {
            val payload = field(PAYLOAD) ?: return null
            return when (field(KIND)) {
                KIND_FCM -> runCatching {
                    Fcm(Json.parseToJsonElement(payload).jsonObject.mapValues { it.value.jsonPrimitive.content })
                }.getOrNull()
                KIND_UNIFIED_PUSH -> UnifiedPush(payload)
                else -> null
            }
        }
    }
}

/**
 * The whole push path short of Android's NotificationManager: a push in, what to post or cancel
 * out, within [deadlineMs] — avatars included: they are fetched (or taken from the library's
 * cache) only with what is left of the deadline, and a notification is shown without the ones
 * that do not fit.
 *
 * @param deadlineMs what resolving may spend; past it the outcome is a generic fallback.
 */
class PushHandler(
    private val accounts: () -> List<PushAccount>,
    private val mapper: NotificationMapper = NotificationMapper(),
    private val deadlineMs: ULong = DEFAULT_DEADLINE_MS,
    private val clock: () -> Long = System::currentTimeMillis,
) {
    /**
     * @param previousLines a conversation's lines on screen (the app reads them back from its
     *   notification), by account and room.
     */
    suspend fun handle(
        input: PushInput,
        previousLines: (account: String, roomId: String) -> List<MessageLine> = { _, _ -> emptyList() },
    ): NotificationAction {
        val started = clock()
        val payload = decode(input).getOrElse { return NotificationAction.Ignore("unusable push: ${it.message}") }
        val account = accountFor(payload) ?: return NotificationAction.Ignore(NO_ACCOUNT)
        val accountId = account.route.accountId
        val outcome = account.client.handlePush(payload, deadlineMs)
        val action = mapper.map(accountId, outcome) { previousLines(accountId, it) }
        if (action !is NotificationAction.Post) return action
        val left = deadlineMs.toLong() - (clock() - started) - AVATAR_MARGIN_MS
        return action.copy(avatars = avatars(account.client, action.content.avatarUrls, left))
    }

    /** [handle] for an FCM data map. */
    suspend fun handleFcm(
        data: Map<String, String>,
        previousLines: (account: String, roomId: String) -> List<MessageLine> = { _, _ -> emptyList() },
    ): NotificationAction = handle(PushInput.Fcm(data), previousLines)

    /**
     * What to show when [handle] did not finish in the time the app allows (it should not happen:
     * `handlePush` returns a fallback at its deadline): the library's generic notification for an
     * event push, nothing for a badge push, an unusable one or one for no signed-in account.
     * Needs no network.
     */
    fun onTimeout(input: PushInput): NotificationAction {
        val payload = decode(input).getOrElse { return NotificationAction.Ignore("unusable push: ${it.message}") }
        val account = accountFor(payload) ?: return NotificationAction.Ignore(NO_ACCOUNT)
        // The library's own generic notification (reply fallbacks stripped, encrypted said so).
        val generic = fallbackNotification(payload, "not handled in time")
            ?: return NotificationAction.Ignore("badge push not handled in time")
        return NotificationAction.Post(mapper.fallback(account.route.accountId, generic))
    }

    private fun decode(input: PushInput): Result<PushPayload> = try {
        Result.success(
            when (input) {
                is PushInput.Fcm -> decodeFcm(input.data)
                is PushInput.UnifiedPush -> decodeUnifiedPush(input.body)
            },
        )
    } catch (e: MatrixPushException) {
        Result.failure(e)
    }

    private fun accountFor(payload: PushPayload): PushAccount? {
        val all = accounts()
        val route = PushRouting.route(payload, all.map { it.route }) ?: return null
        return all.first { it.route == route }
    }

    /**
     * The thumbnails of [urls] that can be had within [budgetMs] (the library caches them); with
     * no time left, those its cache holds (a deadline of 0 makes no request).
     */
    private suspend fun avatars(client: ClientInterface, urls: List<String>, budgetMs: Long): Map<String, Thumbnail> {
        if (urls.isEmpty()) return emptyMap()
        if (budgetMs <= 0) return urls.mapNotNull { url -> client.avatar(url, 0uL)?.let { url to it } }.toMap()
        val found = withTimeoutOrNull(budgetMs) {
            coroutineScope {
                urls.map { url -> async { url to client.avatar(url, budgetMs.toULong()) } }.awaitAll()
            }
        }
        return found.orEmpty().mapNotNull { (url, thumbnail) -> thumbnail?.let { url to it } }.toMap()
    }

    companion object {
        const val DEFAULT_DEADLINE_MS: ULong = 10_000uL

        /** Kept free at the end of the deadline for posting the notification. */
        const val AVATAR_MARGIN_MS = 500L

        const val NO_ACCOUNT = "the push is for no signed-in account"
    }
}
