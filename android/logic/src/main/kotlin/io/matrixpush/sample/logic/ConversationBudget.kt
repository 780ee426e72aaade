package io.matrixpush.sample.logic

/** A conversation notification on screen, as the app reads it from `NotificationManager`. */
data class PostedConversation(val tag: String, val postedAtMs: Long)

/**
 * Android keeps at most about 50 notifications per app and drops new ones past that, so a busy
 * account could silence itself. The app keeps at most [MAX_CONVERSATIONS] conversations (one
 * notification each, plus one summary per account) and removes the oldest to make room.
 */
object ConversationBudget {
    const val MAX_CONVERSATIONS = 24

    /**
     * The tags to cancel before posting [incoming]: none when it replaces a notification already
     * posted or there is room; else the least recently posted ones beyond the budget.
     */
    fun toEvict(active: List<PostedConversation>, incoming: String, max: Int = MAX_CONVERSATIONS): List<String> {
        if (active.any { it.tag == incoming }) return emptyList()
        val excess = active.size + 1 - max
        if (excess <= 0) return emptyList()
        return active.sortedBy { it.postedAtMs }.take(excess).map { it.tag }
    }
}
