import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** Events kept per session for replay: enough to bridge a dropped connection, bounded in memory. */
export const MAX_KEPT_EVENTS = 1000;

interface StoredEvent {
  id: EventId;
  streamId: StreamId;
  message: JSONRPCMessage;
}

/**
 * The recent SSE events of one 2025-era session, so that a client whose stream dropped mid-call (a long
 * wait_tasks, say) reconnects with Last-Event-ID and receives what it missed instead of losing the answer.
 * Held in memory: a restarted server has no events to replay, and its sessions are gone anyway.
 */
export class RecentEvents implements EventStore {
  private readonly events: StoredEvent[] = [];
  private next = 0;

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const id = `${streamId}_${(this.next++).toString().padStart(10, '0')}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > MAX_KEPT_EVENTS) this.events.splice(0, this.events.length - MAX_KEPT_EVENTS);
    return id;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.events.find((event) => event.id === eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const index = this.events.findIndex((event) => event.id === lastEventId);
    const last = this.events[index];
    if (last === undefined)
      throw new Error(`event ${lastEventId} is no longer kept; reconnect without Last-Event-ID`);
    for (const event of this.events.slice(index + 1)) {
      if (event.streamId === last.streamId) await send(event.id, event.message);
    }
    return last.streamId;
  }
}
