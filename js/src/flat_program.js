// A sigma.js 3 program drawn without instancing: the same shaders, the same triangles, the same picture.
//
// sigma 3's node and edge programs are instanced: one record per node (or edge) and a few constant vertices
// (e.g. the three corners' angles of the triangle around a dot), drawn with drawArraysInstanced. Chromium's
// software WebGL (SwiftShader, used when there is no GPU) runs every instance as a draw of its own, with a
// fixed cost each: 4,039 dots took about 0.07 s per pass, twice per frame (the picture and sigma's picking
// buffer). `flatten(Program)` keeps the program's definition, shaders and processVisibleItem, but moves its
// constant attributes into the per-vertex array: each item's record is written once per vertex, followed by
// that vertex's constants, and the whole is drawn with one drawArrays call. It costs VERTICES times the
// array's memory (a few hundred kilobytes for the users).

/** Floats taken by attributes in sigma's vertex arrays (colours are 4 bytes packed into one float). */
function floatsOf(attributes) {
  const BYTES = { [WebGLRenderingContext.UNSIGNED_BYTE]: 1, [WebGLRenderingContext.BYTE]: 1,
    [WebGLRenderingContext.SHORT]: 2, [WebGLRenderingContext.UNSIGNED_SHORT]: 2,
    [WebGLRenderingContext.INT]: 4, [WebGLRenderingContext.UNSIGNED_INT]: 4, [WebGLRenderingContext.FLOAT]: 4 };
  return attributes.reduce((sum, a) => sum + (a.size * BYTES[a.type]) / 4, 0);
}

/**
 * The sigma program class `Program`, drawn with one drawArrays call instead of drawArraysInstanced.
 * A program that is not instanced (no CONSTANT_ATTRIBUTES) is returned as it is.
 */
export function flatten(Program) {
  const def = Program.prototype.getDefinition.call(Object.create(Program.prototype));
  if (!("CONSTANT_ATTRIBUTES" in def)) return Program;
  const itemFloats = floatsOf(def.ATTRIBUTES);
  const constants = def.CONSTANT_DATA;
  const vertexFloats = itemFloats + floatsOf(def.CONSTANT_ATTRIBUTES);

  return class FlatProgram extends Program {
    getDefinition() {
      const { CONSTANT_ATTRIBUTES, CONSTANT_DATA, ...rest } = super.getDefinition();
      return { ...rest, ATTRIBUTES: [...rest.ATTRIBUTES, ...CONSTANT_ATTRIBUTES] };
    }

    // sigma calls processVisibleItem(id, startIndex, ...item) with startIndex at the item's first vertex:
    // the program writes the item's record there, which is copied to the other vertices, each followed by
    // its constants.
    processVisibleItem(id, start, ...item) {
      super.processVisibleItem(id, start, ...item);
      const array = this.array;
      for (let v = 0; v < constants.length; v++) {
        const at = start + v * vertexFloats;
        if (v > 0) array.copyWithin(at, start, start + itemFloats);
        array.set(constants[v], at + itemFloats);
      }
    }
  };
}
